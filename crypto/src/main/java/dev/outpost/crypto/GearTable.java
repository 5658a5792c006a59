package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;

/**
 * The 256 random 64-bit values of the FastCDC gear hash. Derived from the volume key so every client of a
 * volume cuts identically, while chunk lengths reveal nothing to someone without the key.
 *
 * <p>Immutable and thread-safe. Warning: the table is secret-derived; do not log or export it.
 */
public final class GearTable {
  /** Serialized length: 256 big-endian u64. */
  public static final int BYTES = 256 * Long.BYTES;

  final long[] values;

  private GearTable(long[] values) {
    this.values = values;
  }

  /**
   * Reads 256 big-endian u64.
   *
   * @throws OutpostException INVALID_ARGUMENT unless {@code bytes} has exactly {@value #BYTES} bytes
   */
  public static GearTable fromBytes(byte[] bytes) {
    if (bytes == null || bytes.length != BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "gear table must be " + BYTES + " bytes");
    }
    long[] v = new long[256];
    ByteBuffer.wrap(bytes).asLongBuffer().get(v);
    return new GearTable(v);
  }

  /** The value for byte {@code b} (0..255). */
  public long value(int b) {
    return values[b];
  }
}
