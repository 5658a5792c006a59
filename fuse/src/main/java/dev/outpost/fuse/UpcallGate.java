package dev.outpost.fuse;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the FUSE callbacks running in Java and, once {@link #shut}, turns new ones away. A stopping mount needs
 * both: jfuse frees the upcall stubs when it closes, and a libfuse thread still inside one then crashes the JVM
 * when it returns (or merely walks its stack, as creating an exception does). Thread-safe; {@link #enter} and
 * {@link #exit} are one atomic update each.
 */
final class UpcallGate {
  /** Set in {@link #state} once shut; the other bits count the callbacks inside. */
  private static final int SHUT = Integer.MIN_VALUE;

  private final AtomicInteger state = new AtomicInteger();
  private final AtomicLong refused = new AtomicLong();

  /** Lets a callback in: false once shut (the callback must return at once). Pair a true with {@link #exit}. */
  boolean enter() {
    while (true) {
      int s = state.get();
      if ((s & SHUT) != 0) {
        refused.incrementAndGet();
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  /** A callback let in by {@link #enter} is leaving. */
  void exit() {
    if (state.decrementAndGet() == SHUT) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /** Turns every later callback away; those inside go on. */
  void shut() {
    state.getAndUpdate(s -> s | SHUT);
  }

  /** Whether {@link #shut} was called. */
  boolean isShut() {
    return (state.get() & SHUT) != 0;
  }

  /** Callbacks inside now. */
  int running() {
    return state.get() & ~SHUT;
  }

  /** Callbacks turned away so far: one more means a libfuse worker handled a request since. */
  long refused() {
    return refused.get();
  }

  /**
   * Waits until no callback is inside (meaningful once shut: none can enter then).
   *
   * @return false if some were still inside at {@code deadlineNanos} ({@link System#nanoTime()} based)
   */
  boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    synchronized (this) {
      while (running() > 0) {
        long leftNanos = deadlineNanos - System.nanoTime();
        if (leftNanos <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, leftNanos);
      }
      return true;
    }
  }
}
