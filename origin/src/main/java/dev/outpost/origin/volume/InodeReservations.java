package dev.outpost.origin.volume;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.ReserveInodes;
import dev.outpost.store.BinaryReader;
import dev.outpost.store.Codec;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.Table;
import dev.outpost.store.WriteTxn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Inode numbers handed out ahead to an originator ({@link ReserveInodes}), so entries it creates while cut off
 * from the origin keep the numbers their content keys were wrapped for once they are replayed.
 *
 * <p>Table {@code inode-reservations}: (originator, first) → (end, last used). Reserving takes the numbers from
 * the volume's inode counter (so nothing else gets them); creating with a requested inode claims it in the same
 * transaction as the creation: the range shrinks or splits around it, and an emptied range is deleted, so each
 * number is used at most once. At most {@link ReserveInodes#MAX_RANGES} ranges per originator and
 * {@link #MAX_TOTAL_RANGES} in all; ranges neither made nor used for {@link #IDLE_MILLIS} are dropped by GC.
 *
 * <p>Not thread-safe on its own: it runs inside the volume's transactions.
 */
final class InodeReservations {
  /** Ranges not used for this long are dropped by GC: 30 days, as idle operation-id senders. */
  static final long IDLE_MILLIS = Duration.ofDays(30).toMillis();
  /** Ranges the volume keeps in all (a bound on what read tokens can make it store). */
  static final int MAX_TOTAL_RANGES = 16_384;
  private static final int FORMAT = 1;

  /** Key: originator, then the range's first inode. */
  record Key(long originator, long first) {}

  /** @param end one past the range's last inode; @param lastUsedMillis when it was made or last claimed from */
  record Range(long end, long lastUsedMillis) {}

  private static final Codec<Key> KEY = Codec.of(
      (k, out) -> out.writeSortableLong(k.originator()).writeSortableLong(k.first()),
      in -> new Key(in.readSortableLong(), in.readSortableLong()));

  private static final Codec<Range> RANGE = Codec.of(
      (r, out) -> out.writeByte(FORMAT).writeLong(r.end()).writeLong(r.lastUsedMillis()),
      in -> {
        format(in);
        return new Range(in.readLong(), in.readLong());
      });

  final Table<Key, Range> ranges;

  InodeReservations(LmdbStorage storage) {
    this.ranges = storage.table("inode-reservations", KEY, RANGE);
  }

  /**
   * Records {@code [first, first + count)} as reserved for {@code originator}; the caller has taken those
   * numbers from the inode counter.
   *
   * @throws OutpostException INVALID_ARGUMENT if the originator already holds {@link ReserveInodes#MAX_RANGES}
   *     ranges; NO_SPACE if the volume holds {@link #MAX_TOTAL_RANGES}
   */
  InodeRange reserve(WriteTxn txn, long originator, long first, int count, long nowMillis) {
    List<Key> held = held(txn, originator);
    if (held.size() >= ReserveInodes.MAX_RANGES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "originator " + Long.toHexString(originator)
          + " already holds " + held.size() + " inode ranges with numbers left (at most "
          + ReserveInodes.MAX_RANGES + "): use them first");
    }
    if (ranges.count(txn) >= MAX_TOTAL_RANGES) {
      throw new OutpostException(ErrorCode.NO_SPACE, "the volume holds " + MAX_TOTAL_RANGES
          + " inode reservations, the most it keeps; unused ones are dropped after 30 days");
    }
    InodeRange range = new InodeRange(first, count);
    ranges.put(txn, new Key(originator, first), new Range(range.end(), nowMillis));
    return range;
  }

  /**
   * Claims {@code inode} from {@code originator}'s ranges: it is then used and cannot be claimed again.
   *
   * @throws OutpostException INVALID_ARGUMENT if no range of the originator holds it (never reserved, already
   *     used, or dropped after 30 days unused)
   */
  void claim(WriteTxn txn, long originator, long inode, long nowMillis) {
    Optional<Table.Entry<Key, Range>> holder = Optional.empty();
    for (Key k : held(txn, originator)) {
      Range r = ranges.get(txn, k).orElseThrow();
      if (k.first() <= inode && inode < r.end()) {
        holder = Optional.of(new Table.Entry<>(k, r));
        break;
      }
    }
    if (holder.isEmpty()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "inode " + inode + " is not reserved for originator "
          + Long.toHexString(originator) + " (never reserved, already used, or unused for 30 days)");
    }
    Key k = holder.get().key();
    long end = holder.get().value().end();
    ranges.delete(txn, k);
    if (k.first() < inode) {
      ranges.put(txn, new Key(originator, k.first()), new Range(inode, nowMillis));
    }
    if (inode + 1 < end) {
      ranges.put(txn, new Key(originator, inode + 1), new Range(end, nowMillis));
    }
  }

  /** Drops ranges made or last used at or before {@code nowMillis − idleMillis}; returns how many. */
  long dropIdle(WriteTxn txn, long idleMillis, long nowMillis) {
    long cutoff = nowMillis - idleMillis;
    List<Key> idle = new ArrayList<>();
    ranges.scan(txn, Table.Direction.FORWARD, (k, r) -> {
      if (r.lastUsedMillis() <= cutoff) {
        idle.add(k);
      }
      return true;
    });
    idle.forEach(k -> ranges.delete(txn, k));
    return idle.size();
  }

  /** Checks every range is well formed and lies below the inode counter; each problem as a line. */
  void check(ReadTxn txn, long nextInode, Consumer<String> report) {
    ranges.scan(txn, Table.Direction.FORWARD, (k, r) -> {
      String where = "inode reservation " + k.first() + ".." + (r.end() - 1) + " of originator "
          + Long.toHexString(k.originator());
      if (k.first() < 1 || r.end() <= k.first()) {
        report.accept(where + " is empty or starts below 1");
      } else if (r.end() > nextInode) {
        report.accept(where + " reaches past the inode counter " + nextInode);
      }
      return true;
    });
  }

  private List<Key> held(ReadTxn txn, long originator) {
    List<Key> keys = new ArrayList<>();
    ranges.scanFrom(txn, new Key(originator, 0), Table.Direction.FORWARD, (k, r) -> {
      if (k.originator() != originator) {
        return false;
      }
      keys.add(k);
      return true;
    });
    return keys;
  }

  private static void format(BinaryReader in) {
    byte f = in.readByte();
    if (f != FORMAT) {
      throw new OutpostException(ErrorCode.INTERNAL, "corrupt record: inode reservation has format " + f);
    }
  }
}
