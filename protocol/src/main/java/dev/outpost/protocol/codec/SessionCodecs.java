package dev.outpost.protocol.codec;

import static dev.outpost.protocol.codec.BodyWriter.i32;
import static dev.outpost.protocol.codec.BodyWriter.i64;
import static dev.outpost.protocol.codec.BodyWriter.string;
import static dev.outpost.protocol.codec.BodyWriter.u16;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.Attach;
import dev.outpost.protocol.Attached;
import dev.outpost.protocol.Detach;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.Hello;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.Ping;
import dev.outpost.protocol.Pong;
import dev.outpost.protocol.Welcome;
import java.util.Optional;

/** Handshake, sessions, liveness and the generic replies. */
final class SessionCodecs {
  private SessionCodecs() {}

  /** u32 magic "OUTP", u16 minVersion, u16 maxVersion, string agent, string token. */
  static final BodyCodec<Hello> HELLO = BodyCodec.of((m, out) -> {
    i32(out, Hello.MAGIC);
    u16(out, m.minVersion());
    u16(out, m.maxVersion());
    string(out, m.agent());
    string(out, m.token());
  }, in -> {
    int magic = in.i32();
    if (magic != Hello.MAGIC) {
      throw in.malformed(String.format("not an Outpost peer: magic 0x%08X, expected 0x%08X", magic, Hello.MAGIC));
    }
    return new Hello(in.u16(), in.u16(), in.string(), in.string());
  });

  /** u16 version, string agent, string volume, i64 journalSeq, i64 serverTimeMillis. */
  static final BodyCodec<Welcome> WELCOME = BodyCodec.of((m, out) -> {
    u16(out, m.version());
    string(out, m.agent());
    string(out, m.volume());
    i64(out, m.journalSeq());
    i64(out, m.serverTimeMillis());
  }, in -> new Welcome(in.u16(), in.string(), in.string(), in.i64(), in.i64()));

  static final BodyCodec<Attach> ATTACH =
      BodyCodec.of((m, out) -> string(out, m.token()), in -> new Attach(in.string()));

  static final BodyCodec<Attached> ATTACHED =
      BodyCodec.of((m, out) -> i32(out, m.session()), in -> new Attached(in.i32()));

  static final BodyCodec<Detach> DETACH =
      BodyCodec.of((m, out) -> i32(out, m.session()), in -> new Detach(in.i32()));

  static final BodyCodec<Ping> PING = BodyCodec.of((m, out) -> i64(out, m.nanos()), in -> new Ping(in.i64()));

  static final BodyCodec<Pong> PONG = BodyCodec.of((m, out) -> i64(out, m.nanos()), in -> new Pong(in.i64()));

  static final BodyCodec<Ok> OK = BodyCodec.empty(new Ok());

  /** u16 code, string message, optional FileAttr current. An unknown code becomes INTERNAL. */
  static final BodyCodec<ErrorReply> ERROR = BodyCodec.of((m, out) -> {
    u16(out, m.code().wireCode());
    string(out, m.message());
    BodyWriter.optional(out, m.current(), ValueCodecs::fileAttr);
  }, in -> {
    int wire = in.u16();
    String message = in.string();
    Optional<ErrorCode> known = ErrorCode.fromWire(wire);
    if (known.isEmpty()) {
      message = "[wire code " + wire + "] " + message;
    }
    return new ErrorReply(known.orElse(ErrorCode.INTERNAL), message, in.optional(ValueCodecs::fileAttr));
  });
}
