package dev.outpost.proxy.writeback;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.Message;
import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.ProtocolVersion;
import dev.outpost.protocol.Reply;
import dev.outpost.store.BinaryReader;
import dev.outpost.store.BinaryWriter;
import dev.outpost.store.Codec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How the write-back log's records are stored (proxy/README.md, "Write-back log" draws the layout). Every value
 * starts with a format byte and the protocol version its messages were encoded in; messages and attributes are
 * the protocol's own encoding ({@link Frames#encodeMessage}; attributes as an AttrReply), so nothing is encoded
 * twice. A value in another format or protocol version is refused INTERNAL, never guessed at.
 */
final class StoredForms {
  static final int FORMAT = 1;

  private StoredForms() {}

  /** Key of a client operation: originator, then sequence (sortable, so a window is one range). */
  record ClientOpKey(long originator, long seq) {}

  static final Codec<ClientOpKey> CLIENT_OP_KEY = Codec.of(
      (k, out) -> out.writeSortableLong(k.originator()).writeSortableLong(k.seq()),
      in -> new ClientOpKey(in.readSortableLong(), in.readSortableLong()));

  /** A client operation's answer: the request's wire type and the reply. */
  record ClientOp(int requestType, Reply reply, long atMillis) {}

  static final Codec<ClientOp> CLIENT_OP = Codec.of(
      (c, out) -> header(out).writeInt(c.requestType()).writeLong(c.atMillis()).writeBytes(Frames.encodeMessage(c.reply())),
      in -> {
        header(in, "client operation");
        int type = in.readInt();
        long at = in.readLong();
        return new ClientOp(type, message(in.readBytes(), Reply.class, "client operation"), at);
      });

  static final Codec<LogRecord> LOG_RECORD = Codec.of((r, out) -> {
    header(out).writeLong(r.seq()).writeBytes(Frames.encodeMessage(r.mutation()));
    writeOp(out, r.clientOp());
    out.writeString(r.subject()).writeString(r.token());
    writeBase(out, r.base());
    out.writeLong(r.loggedAtMillis());
  }, in -> {
    header(in, "log record");
    return readRecord(in);
  });

  static final Codec<OverlayRow> OVERLAY_ROW = Codec.of((row, out) -> {
    header(out);
    switch (row.entry()) {
      case OverlayEntry.Present p -> {
        out.writeByte(1).writeBoolean(p.createdHere());
        writeAttr(out, p.attr());
      }
      case OverlayEntry.Whiteout w -> out.writeByte(2);
    }
    out.writeInt(row.seqs().size());
    row.seqs().forEach(out::writeLong);
  }, in -> {
    header(in, "overlay entry");
    byte kind = in.readByte();
    OverlayEntry entry = switch (kind) {
      case 1 -> {
        boolean here = in.readBoolean();
        yield new OverlayEntry.Present(readAttr(in), here);
      }
      case 2 -> OverlayEntry.WHITEOUT;
      default -> throw corrupt("overlay entry", "kind " + kind);
    };
    int n = count(in, Long.BYTES, "overlay entry");
    List<Long> seqs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      seqs.add(in.readLong());
    }
    return new OverlayRow(entry, seqs);
  });

  static final Codec<ConflictRecord> CONFLICT = Codec.of((c, out) -> {
    header(out);
    LOG_RECORD.write(c.record(), out);
    out.writeString(c.kind().name()).writeInt(c.code().wireCode()).writeString(c.message());
    writeBase(out, c.base());
    writeOptionalAttr(out, c.local());
    writeOptionalAttr(out, c.remote());
    out.writeLong(c.detectedAtMillis());
    out.writeInt(c.held().size());
    for (LogRecord r : c.held()) {
      LOG_RECORD.write(r, out);
    }
  }, in -> {
    header(in, "conflict record");
    LogRecord record = LOG_RECORD.read(in);
    ConflictKind kind;
    String kindName = in.readString();
    try {
      kind = ConflictKind.valueOf(kindName);
    } catch (IllegalArgumentException e) {
      throw corrupt("conflict record", "kind " + kindName);
    }
    int wire = in.readInt();
    ErrorCode code = ErrorCode.fromWire(wire).orElseThrow(() -> corrupt("conflict record", "error code " + wire));
    String message = in.readString();
    Base base = readBase(in);
    Optional<FileAttr> local = readOptionalAttr(in);
    Optional<FileAttr> remote = readOptionalAttr(in);
    long at = in.readLong();
    int n = count(in, 16, "conflict record");
    List<LogRecord> held = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      held.add(LOG_RECORD.read(in));
    }
    return new ConflictRecord(record, kind, code, message, base, local, remote, at, held);
  });

  private static LogRecord readRecord(BinaryReader in) {
    long seq = in.readLong();
    Mutation m = message(in.readBytes(), Mutation.class, "log record");
    OperationId clientOp = readOp(in);
    String subject = in.readString();
    String token = in.readString();
    Base base = readBase(in);
    long at = in.readLong();
    return new LogRecord(seq, m, clientOp, subject, token, base, at);
  }

  private static BinaryWriter header(BinaryWriter out) {
    return out.writeByte(FORMAT).writeInt(ProtocolVersion.CURRENT);
  }

  private static void header(BinaryReader in, String what) {
    byte f = in.readByte();
    if (f != FORMAT) {
      throw corrupt(what, "format " + f);
    }
    int version = in.readInt();
    if (version != ProtocolVersion.CURRENT) {
      throw new OutpostException(ErrorCode.INTERNAL, what + " written in protocol version " + version
          + ", this build speaks " + ProtocolVersion.CURRENT + ": replay it with the build that wrote it");
    }
  }

  private static void writeOp(BinaryWriter out, OperationId op) {
    out.writeLong(op.originator()).writeLong(op.seq());
  }

  private static OperationId readOp(BinaryReader in) {
    long originator = in.readLong();
    long seq = in.readLong();
    try {
      return new OperationId(originator, seq);
    } catch (OutpostException e) {
      throw corrupt("operation id", e.getMessage());
    }
  }

  private static void writeBase(BinaryWriter out, Base base) {
    switch (base) {
      case Base.Existing e -> {
        out.writeByte(1);
        writeAttr(out, e.attr());
      }
      case Base.Absent a -> out.writeByte(2);
      case Base.Unknown u -> out.writeByte(3);
    }
  }

  private static Base readBase(BinaryReader in) {
    byte kind = in.readByte();
    return switch (kind) {
      case 1 -> new Base.Existing(readAttr(in));
      case 2 -> Base.ABSENT;
      case 3 -> Base.UNKNOWN;
      default -> throw corrupt("base", "kind " + kind);
    };
  }

  private static void writeAttr(BinaryWriter out, FileAttr attr) {
    out.writeBytes(Frames.encodeMessage(new AttrReply(attr)));
  }

  private static FileAttr readAttr(BinaryReader in) {
    return message(in.readBytes(), AttrReply.class, "attributes").attr();
  }

  private static void writeOptionalAttr(BinaryWriter out, Optional<FileAttr> attr) {
    out.writeBoolean(attr.isPresent());
    attr.ifPresent(a -> writeAttr(out, a));
  }

  private static Optional<FileAttr> readOptionalAttr(BinaryReader in) {
    return in.readBoolean() ? Optional.of(readAttr(in)) : Optional.empty();
  }

  private static <M> M message(byte[] bytes, Class<M> type, String what) {
    Message m;
    try {
      m = Frames.decodeMessage(bytes);
    } catch (OutpostException e) {
      throw corrupt(what, e.getMessage());
    }
    if (!type.isInstance(m)) {
      throw corrupt(what, "a " + m.getClass().getSimpleName() + " where a " + type.getSimpleName() + " belongs");
    }
    return type.cast(m);
  }

  private static int count(BinaryReader in, int minBytes, String what) {
    int n = in.readInt();
    if (n < 0 || (long) n * minBytes > in.remaining()) {
      throw corrupt(what, "count " + n + " with " + in.remaining() + " bytes left");
    }
    return n;
  }

  private static OutpostException corrupt(String what, String detail) {
    return new OutpostException(ErrorCode.INTERNAL, "corrupt write-back " + what + ": " + detail);
  }
}
