package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Jittered exponential backoff between reconnection attempts: the delay after {@code n} failed attempts is a
 * random time in [d/2, d] where d = initial·2^(n-1), at least initial and at most max. The jitter spreads the
 * clients of a restarted server over time instead of having them all retry at once.
 *
 * @param initialMillis the first delay; 1..60,000
 * @param maxMillis the delay doubles up to this; initialMillis..3,600,000
 */
public record Backoff(long initialMillis, long maxMillis) {
  public Backoff {
    if (initialMillis < 1 || initialMillis > 60_000) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "backoff initial delay " + initialMillis + " ms is outside 1..60000");
    }
    if (maxMillis < initialMillis || maxMillis > 3_600_000) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "backoff max delay " + maxMillis + " ms is outside " + initialMillis + "..3600000");
    }
  }

  /** The delay before the next attempt after {@code failures} consecutive failed ones (0 = the first retry). */
  public long delayMillis(int failures) {
    long d = initialMillis << Math.min(Math.max(failures - 1, 0), 20);
    d = Math.min(Math.max(d, initialMillis), maxMillis);
    return d / 2 + ThreadLocalRandom.current().nextLong(d / 2 + 1);
  }
}
