package dev.outpost.proxy.warm;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Paces fetched bytes to a rate. The bucket starts empty and holds at most {@code burstBytes}: taking n bytes
 * waits until the bucket has refilled them, so a run of fetches that starts at t0 has moved at most
 * {@code rate·(t−t0) + burst} bytes at any time t. Debt is allowed (a block bigger than the bucket is taken
 * whole and paid back by waiting), so no request starves. Thread-safe.
 */
final class TokenBucket {
  private final double bytesPerNano;
  private final double burstBytes;
  private final LongSupplier nanoClock;
  private double tokens;
  private long lastNanos;

  /** @param rateBytesPerSec greater than 0 */
  TokenBucket(long rateBytesPerSec, long burstBytes, LongSupplier nanoClock) {
    if (rateBytesPerSec <= 0 || burstBytes <= 0) {
      throw new IllegalArgumentException("rate and burst must be positive");
    }
    this.bytesPerNano = rateBytesPerSec / 1e9;
    this.burstBytes = burstBytes;
    this.nanoClock = nanoClock;
    this.lastNanos = nanoClock.getAsLong();
  }

  /** Takes {@code bytes}, returning how long the caller must wait before using them (0 if at once). */
  synchronized long reserveNanos(long bytes) {
    long now = nanoClock.getAsLong();
    tokens = Math.min(burstBytes, tokens + (now - lastNanos) * bytesPerNano);
    lastNanos = now;
    tokens -= bytes;
    return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / bytesPerNano);
  }

  /** Takes {@code bytes}, sleeping as long as the rate demands. */
  void acquire(long bytes) throws InterruptedException {
    long wait = reserveNanos(bytes);
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }
}
