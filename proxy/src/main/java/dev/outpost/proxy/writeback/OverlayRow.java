package dev.outpost.proxy.writeback;

import java.util.List;

/**
 * One path of the overlay: how the branch sees it and which operations (in the log, or held with a conflict)
 * still change it; the row goes when the last of them has been replayed.
 *
 * @param seqs log sequences of those operations, in log order (an immutable copy)
 */
record OverlayRow(OverlayEntry entry, List<Long> seqs) {
  OverlayRow {
    seqs = List.copyOf(seqs);
  }

  /** The row after one more operation left it at {@code now}. */
  OverlayRow then(OverlayEntry now, long seq) {
    List<Long> more = new java.util.ArrayList<>(seqs);
    more.add(seq);
    return new OverlayRow(now, more);
  }

  /** The row without {@code seq}; its entry stays what the newest operation made it. */
  OverlayRow without(long seq) {
    return new OverlayRow(entry, seqs.stream().filter(s -> s != seq).toList());
  }
}
