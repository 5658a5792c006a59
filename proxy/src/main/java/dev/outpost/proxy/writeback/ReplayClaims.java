package dev.outpost.proxy.writeback;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Which logged operations the replayer has sent since this proxy started, and which the writer is dropping (what
 * cancels out): an operation is either sent or dropped, never both, because both claim it here first.
 * Thread-safe.
 */
final class ReplayClaims {
  private final Set<Long> sent = new HashSet<>();
  private final Set<Long> dropping = new HashSet<>();

  /** True if {@code seq} has not been sent (and is not being dropped). */
  synchronized boolean unsent(long seq) {
    return !sent.contains(seq) && !dropping.contains(seq);
  }

  /** Claims {@code seqs} for dropping; false (nothing claimed) if one was sent meanwhile. */
  synchronized boolean drop(Collection<Long> seqs) {
    for (long s : seqs) {
      if (sent.contains(s)) {
        return false;
      }
    }
    dropping.addAll(seqs);
    return true;
  }

  /** Gives back a drop that was not committed. */
  synchronized void undrop(Collection<Long> seqs) {
    dropping.removeAll(seqs);
  }

  /** Claims {@code seq} for sending; false if it is being dropped. */
  synchronized boolean send(long seq) {
    if (dropping.contains(seq)) {
      return false;
    }
    sent.add(seq);
    return true;
  }

  /** Operations gone from the log. */
  synchronized void forget(Collection<Long> seqs) {
    sent.removeAll(seqs);
    dropping.removeAll(seqs);
  }
}
