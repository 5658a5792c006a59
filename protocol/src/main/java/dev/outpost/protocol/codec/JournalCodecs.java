package dev.outpost.protocol.codec;

import static dev.outpost.protocol.codec.BodyWriter.i32;
import static dev.outpost.protocol.codec.BodyWriter.i64;
import static dev.outpost.protocol.codec.BodyWriter.string;
import static dev.outpost.protocol.codec.BodyWriter.u8;

import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.Resync;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.SubscribeAck;
import dev.outpost.protocol.Unsubscribe;

/** The change journal subscription. */
final class JournalCodecs {
  private JournalCodecs() {}

  /** i64 fromSeq, string prefix. */
  static final BodyCodec<Subscribe> SUBSCRIBE = BodyCodec.of((m, out) -> {
    i64(out, m.fromSeq());
    string(out, m.prefix());
  }, in -> new Subscribe(in.i64(), in.string()));

  static final BodyCodec<SubscribeAck> SUBSCRIBE_ACK =
      BodyCodec.of((m, out) -> i64(out, m.currentSeq()), in -> new SubscribeAck(in.i64()));

  /** i64 seq, i64 inode, string path, string fromPath, i64 version, u8 kind. */
  static final BodyCodec<ChangeEvent> CHANGE_EVENT = BodyCodec.of((m, out) -> {
    i64(out, m.seq());
    i64(out, m.inode());
    string(out, m.path());
    string(out, m.fromPath());
    i64(out, m.version());
    u8(out, ValueCodecs.changeKind(m.kind()));
  }, in -> new ChangeEvent(in.i64(), in.i64(), in.string(), in.string(), in.i64(),
      ValueCodecs.changeKind(in, in.u8())));

  static final BodyCodec<Resync> RESYNC =
      BodyCodec.of((m, out) -> i64(out, m.currentSeq()), in -> new Resync(in.i64()));

  static final BodyCodec<Unsubscribe> UNSUBSCRIBE =
      BodyCodec.of((m, out) -> i32(out, m.subscribeRequestId()), in -> new Unsubscribe(in.i32()));
}
