package dev.outpost.origin.volume;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.ProtocolVersion;
import dev.outpost.protocol.Reply;
import dev.outpost.store.BinaryReader;
import dev.outpost.store.Codec;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.Table;
import dev.outpost.store.WriteTxn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What makes a mutation with an {@link OperationId} apply at most once: the reply of every applied one, kept in
 * the volume's LMDB and written in the <b>same write transaction as the change</b>, so a crash can never leave
 * a change without its record or a record without its change.
 *
 * <p>Tables: {@code applied} ((originator, seq) → the request's wire type and the reply as
 * {@link Frames#encodeMessage} made it) and {@code originators} (originator → highest seq recorded, last time
 * one was). The newest {@link OperationId#WINDOW} replies per originator are kept, older ones deleted as a newer
 * one is recorded; an id at or below {@code highest − WINDOW} that is not recorded is refused STALE_OPERATION
 * (whether it was applied is no longer known). Originators not seen for {@link #IDLE_MILLIS} are dropped by the
 * volume's GC, with their replies. Only successes are recorded: a refused mutation changed nothing.
 *
 * <p>Not thread-safe on its own: it runs inside the volume's transactions.
 */
final class AppliedOperations {
  /** Originators not seen for this long are forgotten by GC: 30 days. */
  static final long IDLE_MILLIS = Duration.ofDays(30).toMillis();
  private static final int FORMAT = 1;

  /** Key of one recorded operation: by originator, then sequence. */
  record Key(long originator, long seq) {}

  /** One recorded operation: the wire type of its request and its encoded reply. */
  record Applied(int requestType, byte[] reply) {}

  /** Per originator: the highest sequence recorded and when the last one was. */
  record Originator(long highestSeq, long lastSeenMillis) {}

  private static final Codec<Key> KEY = Codec.of(
      (k, out) -> out.writeSortableLong(k.originator()).writeSortableLong(k.seq()),
      in -> new Key(in.readSortableLong(), in.readSortableLong()));

  private static final Codec<Applied> APPLIED = Codec.of(
      (a, out) -> out.writeByte(FORMAT).writeInt(ProtocolVersion.CURRENT).writeInt(a.requestType())
          .writeBytes(a.reply()),
      in -> {
        format(in, "applied operation");
        int version = in.readInt();
        if (version != ProtocolVersion.CURRENT) {
          throw new OutpostException(ErrorCode.INTERNAL,
              "applied operation recorded in protocol version " + version + ", this build speaks "
                  + ProtocolVersion.CURRENT);
        }
        return new Applied(in.readInt(), in.readBytes());
      });

  private static final Codec<Originator> ORIGINATOR = Codec.of(
      (o, out) -> out.writeByte(FORMAT).writeLong(o.highestSeq()).writeLong(o.lastSeenMillis()),
      in -> {
        format(in, "originator");
        return new Originator(in.readLong(), in.readLong());
      });

  private static final int DROP_CHUNK = 1024;

  private final LmdbStorage storage;
  final Table<Key, Applied> applied;
  final Table<Long, Originator> originators;

  AppliedOperations(LmdbStorage storage) {
    this.storage = storage;
    this.applied = storage.table("applied", KEY, APPLIED);
    this.originators = storage.table("originators", Codecs.SORTABLE_LONG, ORIGINATOR);
  }

  /**
   * The reply recorded for {@code op}, if it was applied.
   *
   * @param kind the mutation now asking, which must be the kind that was recorded
   * @throws OutpostException STALE_OPERATION if {@code op} is older than the originator's window and not
   *     recorded; INVALID_ARGUMENT if it was recorded for another kind of mutation
   */
  Optional<Reply> find(ReadTxn txn, OperationId op, Class<? extends Mutation> kind) {
    if (op.isNone()) {
      return Optional.empty();
    }
    Optional<Applied> found = applied.get(txn, new Key(op.originator(), op.seq()));
    if (found.isEmpty()) {
      Optional<Originator> o = originators.get(txn, op.originator());
      if (o.isPresent() && op.seq() <= o.get().highestSeq() - OperationId.WINDOW) {
        throw new OutpostException(ErrorCode.STALE_OPERATION, "operation " + op + " is older than the last "
            + OperationId.WINDOW + " of its sender (newest " + o.get().highestSeq()
            + "): whether it was applied is no longer known, so it is not applied now");
      }
      return Optional.empty();
    }
    int type = Frames.typeNumber(kind);
    if (found.get().requestType() != type) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "operation " + op + " was a request of type 0x"
          + Integer.toHexString(found.get().requestType()) + ", not " + kind.getSimpleName()
          + ": an operation id names one operation");
    }
    return Optional.of(decode(found.get()));
  }

  /**
   * Records {@code reply} as the answer to {@code op} (nothing for {@link OperationId#NONE}) and deletes the
   * originator's replies that fell out of the window.
   */
  void record(WriteTxn txn, OperationId op, Class<? extends Mutation> kind, Reply reply, long nowMillis) {
    if (op.isNone()) {
      return;
    }
    applied.put(txn, new Key(op.originator(), op.seq()),
        new Applied(Frames.typeNumber(kind), Frames.encodeMessage(reply)));
    long highest = Math.max(op.seq(), originators.get(txn, op.originator()).map(Originator::highestSeq).orElse(0L));
    originators.put(txn, op.originator(), new Originator(highest, nowMillis));
    long keepAbove = highest - OperationId.WINDOW;
    if (keepAbove < 1) {
      return;
    }
    // Usually one row: each record pushes at most the oldest out.
    List<Key> old = new ArrayList<>();
    applied.scanFrom(txn, new Key(op.originator(), 0), Table.Direction.FORWARD, (k, v) -> {
      if (k.originator() != op.originator() || k.seq() > keepAbove) {
        return false;
      }
      old.add(k);
      return true;
    });
    old.forEach(k -> applied.delete(txn, k));
  }

  /**
   * Drops the originators last seen at or before {@code nowMillis − idleMillis}, with their replies, in chunks of
   * short write transactions.
   *
   * @return how many originators were dropped
   */
  long dropIdle(long idleMillis, long nowMillis) {
    long cutoff = nowMillis - idleMillis;
    List<Long> idle = storage.read(txn -> {
      List<Long> found = new ArrayList<>();
      originators.scan(txn, Table.Direction.FORWARD, (o, rec) -> {
        if (rec.lastSeenMillis() <= cutoff) {
          found.add(o);
        }
        return true;
      });
      return found;
    });
    long dropped = 0;
    for (long o : idle) {
      boolean gone;
      do {
        gone = storage.write(txn -> {
          // Seen again since the scan: keep it.
          if (originators.get(txn, o).map(rec -> rec.lastSeenMillis() > cutoff).orElse(true)) {
            return true;
          }
          List<Key> rows = new ArrayList<>();
          applied.scanFrom(txn, new Key(o, 0), Table.Direction.FORWARD, (k, v) -> {
            if (k.originator() != o) {
              return false;
            }
            rows.add(k);
            return rows.size() < DROP_CHUNK;
          });
          rows.forEach(k -> applied.delete(txn, k));
          if (rows.size() < DROP_CHUNK) {
            originators.delete(txn, o);
            return true;
          }
          return false;
        });
      } while (!gone);
      dropped++;
    }
    return dropped;
  }

  /** Originators known now (for reports and tests). */
  long originatorCount() {
    return storage.read(originators::count);
  }

  /** Checks the tables agree with each other; each problem as a line to {@code report}. */
  void check(ReadTxn txn, Consumer<String> report) {
    Map<Long, long[]> rows = new HashMap<>(); // originator -> {count, max seq, min seq}
    applied.scan(txn, Table.Direction.FORWARD, (k, a) -> {
      String where = "applied operation " + new OperationId(k.originator(), k.seq());
      try {
        decode(a);
      } catch (OutpostException e) {
        report.accept(where + ": " + e.getMessage());
      }
      long[] r = rows.computeIfAbsent(k.originator(), o -> new long[] {0, Long.MIN_VALUE, Long.MAX_VALUE});
      r[0]++;
      r[1] = Math.max(r[1], k.seq());
      r[2] = Math.min(r[2], k.seq());
      return true;
    });
    originators.scan(txn, Table.Direction.FORWARD, (o, rec) -> {
      long[] r = rows.remove(o);
      String who = "originator " + Long.toHexString(o);
      if (r == null) {
        report.accept(who + " has no applied operations");
      } else if (r[1] != rec.highestSeq()) {
        report.accept(who + " says its highest seq is " + rec.highestSeq() + " but the newest recorded is " + r[1]);
      } else if (r[2] <= rec.highestSeq() - OperationId.WINDOW || r[0] > OperationId.WINDOW) {
        report.accept(who + " keeps " + r[0] + " replies from seq " + r[2] + ", more than the window of "
            + OperationId.WINDOW + " below " + rec.highestSeq());
      }
      return true;
    });
    rows.forEach((o, r) -> report.accept("applied operations of originator " + Long.toHexString(o) + " ("
        + r[0] + ") without an originator record"));
  }

  /** The stored reply; INTERNAL if it is not what a mutation answers. */
  private static Reply decode(Applied a) {
    Object stored;
    try {
      stored = Frames.decodeMessage(a.reply());
    } catch (OutpostException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "corrupt stored reply: " + e.getMessage(), e);
    }
    if (stored instanceof AttrReply || stored instanceof Ok) {
      return (Reply) stored;
    }
    throw new OutpostException(ErrorCode.INTERNAL,
        "corrupt stored reply: a " + stored.getClass().getSimpleName() + " answers no mutation");
  }

  private static void format(BinaryReader in, String what) {
    byte f = in.readByte();
    if (f != FORMAT) {
      throw new OutpostException(ErrorCode.INTERNAL, "corrupt record: " + what + " has format " + f);
    }
  }
}
