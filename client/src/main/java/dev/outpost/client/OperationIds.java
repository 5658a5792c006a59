package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.OperationId;
import java.security.SecureRandom;
import java.util.TreeSet;

/**
 * The operation ids of one client: a random non-zero originator chosen at start and sequences from 1, so each
 * mutation the client sends is applied at most once however often it is resent. The origin keeps only the
 * newest {@link OperationId#WINDOW} replies per originator, so an id is handed out only while it is fewer than
 * {@code maxSpread} sequences ahead of the oldest id still unanswered: a resend of that one then always falls
 * inside the origin's window. {@link #next()} waits while the spread is full.
 *
 * <p>Thread-safe. {@link #next()} blocks: call it from a caller's thread, never from an event loop.
 */
final class OperationIds {
  /** The client's bound: a quarter of the origin's window. */
  static final int MAX_SPREAD = OperationId.WINDOW / 4;

  private final long originator;
  private final int maxSpread;
  private final TreeSet<Long> unanswered = new TreeSet<>();
  private long nextSeq = 1;

  OperationIds(SecureRandom random, int maxSpread) {
    if (maxSpread < 1 || maxSpread >= OperationId.WINDOW) {
      throw new IllegalArgumentException("spread " + maxSpread + " outside 1.." + (OperationId.WINDOW - 1));
    }
    long o;
    do {
      o = random.nextLong();
    } while (o == 0);
    this.originator = o;
    this.maxSpread = maxSpread;
  }

  long originator() {
    return originator;
  }

  /**
   * The next id, once it is fewer than the spread ahead of the oldest unanswered one. Hand it back with
   * {@link #answered} when its operation is over, answered or given up.
   *
   * @throws OutpostException UNAVAILABLE if the thread is interrupted while waiting (the flag is kept)
   */
  synchronized OperationId next() {
    while (!unanswered.isEmpty() && nextSeq - unanswered.first() >= maxSpread) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OutpostException(ErrorCode.UNAVAILABLE,
            "interrupted while " + unanswered.size() + " operations were unanswered", e);
      }
    }
    long seq = nextSeq++;
    unanswered.add(seq);
    return new OperationId(originator, seq);
  }

  /** The operation of {@code op} is over: its id no longer holds the spread back. */
  synchronized void answered(OperationId op) {
    if (op.originator() == originator && unanswered.remove(op.seq())) {
      notifyAll();
    }
  }

  /** Ids handed out and not yet answered. */
  synchronized int unanswered() {
    return unanswered.size();
  }
}
