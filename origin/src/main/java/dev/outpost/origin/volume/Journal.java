package dev.outpost.origin.volume;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.Table;
import dev.outpost.store.WriteTxn;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The change journal: table {@code journal} (seq → {@link ChangeEvent}) and the counters {@code seq} (the last
 * entry) and {@code oldest-seq} (the oldest one kept) in {@link VolumeMeta}. Entries are appended by a
 * {@link Change} and the journal is trimmed to {@code retainEvents} entries in the same write transaction.
 *
 * <p>Not thread-safe on its own: it runs inside the volume's transactions.
 */
final class Journal {
  /** Most journal entries one {@link #after} call returns. */
  static final int MAX_BATCH = 65_536;

  final Table<Long, ChangeEvent> table;
  private final VolumeMeta meta;
  private final int retainEvents;

  Journal(LmdbStorage storage, VolumeMeta meta, int retainEvents) {
    this.table = storage.table("journal", Codecs.SORTABLE_LONG, TableCodecs.EVENT);
    this.meta = meta;
    this.retainEvents = retainEvents;
  }

  int retainEvents() {
    return retainEvents;
  }

  /** Counters of a fresh volume: no entry yet. */
  void initialise(WriteTxn txn) {
    meta.put(txn, VolumeMeta.SEQ, 0);
    meta.put(txn, VolumeMeta.OLDEST_SEQ, 1);
  }

  /** The sequence number of the last entry (0 for a fresh volume). */
  long currentSeq(ReadTxn txn) {
    return meta.get(txn, VolumeMeta.SEQ);
  }

  /** The oldest sequence still kept, or {@code currentSeq + 1} when the journal is empty. */
  long oldestSeq(ReadTxn txn) {
    return meta.get(txn, VolumeMeta.OLDEST_SEQ);
  }

  void append(WriteTxn txn, ChangeEvent e) {
    table.put(txn, e.seq(), e);
  }

  /** Makes {@code seq} the last entry and trims the oldest ones beyond the retained count. */
  void advanceTo(WriteTxn txn, long seq) {
    meta.put(txn, VolumeMeta.SEQ, seq);
    long oldest = oldestSeq(txn);
    long keepFrom = Math.max(oldest, seq - retainEvents + 1);
    for (long s = oldest; s < keepFrom; s++) {
      table.delete(txn, s);
    }
    if (keepFrom != oldest) {
      meta.put(txn, VolumeMeta.OLDEST_SEQ, keepFrom);
    }
  }

  static void checkAfter(long afterSeq, String prefix, int max) {
    VolumePath.check(prefix);
    if (afterSeq < 0 || max < 1 || max > MAX_BATCH) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "journal request needs afterSeq >= 0 and max in 1.." + MAX_BATCH + ", got " + afterSeq + ", " + max);
    }
  }

  /**
   * Entries after {@code afterSeq} whose path or fromPath lies under {@code prefix}, up to {@code max}.
   *
   * @throws OutpostException RESYNC if entries after {@code afterSeq} were already trimmed, or if
   *     {@code afterSeq} is beyond the journal (the volume was restored or replaced)
   */
  List<ChangeEvent> after(ReadTxn txn, long afterSeq, String prefix, int max) {
    long oldest = oldestSeq(txn);
    long current = currentSeq(txn);
    if (afterSeq + 1 < oldest) {
      throw new OutpostException(ErrorCode.RESYNC,
          "journal starts at seq " + oldest + "; entries after " + afterSeq + " are gone");
    }
    if (afterSeq > current) {
      throw new OutpostException(ErrorCode.RESYNC,
          "seq " + afterSeq + " is beyond the journal's end " + current + ": the volume was restored or replaced");
    }
    List<ChangeEvent> out = new ArrayList<>();
    table.scanFrom(txn, afterSeq + 1, Table.Direction.FORWARD, (seq, e) -> {
      if (VolumePath.isUnder(e.path(), prefix)
          || (!e.fromPath().isEmpty() && VolumePath.isUnder(e.fromPath(), prefix))) {
        out.add(e);
      }
      return out.size() < max;
    });
    return out;
  }

  /** Checks the entries run without gaps from the oldest kept to the current seq; problems to {@code report}. */
  void check(ReadTxn txn, Consumer<String> report) {
    long oldest = oldestSeq(txn);
    long current = currentSeq(txn);
    if (oldest < 1 || oldest > current + 1) {
      report.accept("journal: oldest retained seq " + oldest + " is outside 1.." + (current + 1));
    }
    long[] expected = {oldest};
    table.scan(txn, Table.Direction.FORWARD, (seq, e) -> {
      if (seq != expected[0]) {
        report.accept("journal: expected seq " + expected[0] + " but found " + seq);
      }
      if (e.seq() != seq) {
        report.accept("journal: entry under key " + seq + " says seq " + e.seq());
      }
      expected[0] = seq + 1;
      return true;
    });
    if (expected[0] != current + 1) {
      report.accept("journal: ends at seq " + (expected[0] - 1) + " but the current seq is " + current);
    }
  }
}
