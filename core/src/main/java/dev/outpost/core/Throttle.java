package dev.outpost.core;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Lets a repeated event through at most once per interval and counts the ones it holds back, so a failure repeated
 * thousands of times costs one log line per interval, and that line says how many it stands for:
 *
 * <pre>{@code
 * long held = warnings.pass();
 * if (held >= 0) {
 *   log.warn("cache write failed: {}{}", e, Throttle.heldNote(held));
 * }
 * }</pre>
 *
 * <p>The first event always passes. Thread-safe.
 */
public final class Throttle {
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private boolean passedOnce;
  private long lastPassNanos;
  private long held;

  /** One event per {@code interval}, timed by {@link System#nanoTime()}. */
  public Throttle(Duration interval) {
    this(interval, System::nanoTime);
  }

  /** @param nanoClock monotonic nanoseconds (tests pass their own) */
  public Throttle(Duration interval, LongSupplier nanoClock) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive: " + interval);
    }
    this.intervalNanos = interval.toNanos();
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /**
   * Records one event.
   *
   * @return -1 if it is held back; otherwise the number of events held back since the last one let through
   */
  public synchronized long pass() {
    long now = nanoClock.getAsLong();
    if (passedOnce && now - lastPassNanos < intervalNanos) {
      held++;
      return -1;
    }
    passedOnce = true;
    lastPassNanos = now;
    long before = held;
    held = 0;
    return before;
  }

  /** What a line let through after {@code held} held-back events adds: " (N more since the last report)", or "". */
  public static String heldNote(long held) {
    return held > 0 ? " (" + held + " more since the last report)" : "";
  }
}
