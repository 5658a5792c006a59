package dev.outpost.bench.wan;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * The shape of an emulated WAN link, the same in each direction.
 *
 * @param bitsPerSecond bandwidth of each direction; 64 kbit/s .. 100 Gbit/s
 * @param oneWayDelayMillis propagation delay added to every byte in each direction; 0 .. 10 000
 */
public record LinkSpec(long bitsPerSecond, long oneWayDelayMillis) {
  public static final long MIN_BITS_PER_SECOND = 64_000;
  public static final long MAX_BITS_PER_SECOND = 100_000_000_000L;
  public static final long MAX_DELAY_MILLIS = 10_000;

  /** The default link: 50 Mbit/s each way, 20 ms one way. */
  public static final LinkSpec DEFAULT = new LinkSpec(50_000_000, 20);

  /** @throws OutpostException INVALID_ARGUMENT naming the value and the allowed range */
  public LinkSpec {
    if (bitsPerSecond < MIN_BITS_PER_SECOND || bitsPerSecond > MAX_BITS_PER_SECOND) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "link bandwidth " + bitsPerSecond
          + " bit/s is outside " + MIN_BITS_PER_SECOND + ".." + MAX_BITS_PER_SECOND);
    }
    if (oneWayDelayMillis < 0 || oneWayDelayMillis > MAX_DELAY_MILLIS) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "link one-way delay " + oneWayDelayMillis
          + " ms is outside 0.." + MAX_DELAY_MILLIS);
    }
  }

  public static LinkSpec ofMbit(double megabitsPerSecond, long oneWayDelayMillis) {
    return new LinkSpec(Math.round(megabitsPerSecond * 1_000_000), oneWayDelayMillis);
  }

  public LinkSpec withDelayMillis(long millis) {
    return new LinkSpec(bitsPerSecond, millis);
  }

  /** Payload bytes per second the link carries at best. */
  public double bytesPerSecond() {
    return bitsPerSecond / 8.0;
  }

  /** Nanoseconds one byte occupies the link (serialization time). */
  double nanosPerByte() {
    return 8e9 / bitsPerSecond;
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "%.1f Mbit/s, %d ms one way", bitsPerSecond / 1e6, oneWayDelayMillis);
  }
}
