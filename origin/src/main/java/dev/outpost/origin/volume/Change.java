package dev.outpost.origin.volume;

import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.store.WriteTxn;
import java.util.ArrayList;
import java.util.List;

/**
 * One mutation's write transaction (lmdbjava's Txn): the rooms edit their tables through {@link #txn()} and
 * append journal entries through {@link #emit}; {@link #finish} advances the journal. Made fresh for every
 * attempt of a write callback (the storage may run it again after growing the map).
 */
final class Change {
  private final WriteTxn txn;
  private final Journal journal;
  private final List<ChangeEvent> events = new ArrayList<>();
  private long seq;

  Change(WriteTxn txn, Journal journal) {
    this.txn = txn;
    this.journal = journal;
    this.seq = journal.currentSeq(txn);
  }

  WriteTxn txn() {
    return txn;
  }

  void emit(long inode, String path, String fromPath, long version, ChangeKind kind) {
    ChangeEvent e = new ChangeEvent(++seq, inode, path, fromPath, version, kind);
    journal.append(txn, e);
    events.add(e);
  }

  /** The journal entries appended so far, in sequence order. */
  List<ChangeEvent> events() {
    return List.copyOf(events);
  }

  /** Advances the journal past this change's entries (nothing if it appended none). */
  void finish() {
    if (!events.isEmpty()) {
      journal.advanceTo(txn, seq);
    }
  }
}
