package dev.outpost.core;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Name of a block: SHA-256 of its ciphertext, so anyone can check a block against its id without a key.
 *
 * <p>Immutable and thread-safe; the array is copied in and out.
 */
public final class BlockId implements Comparable<BlockId> {
  /** Length of an id in bytes. */
  public static final int BYTES = 32;

  private final byte[] bytes;
  private final int hash;

  private BlockId(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  /**
   * @throws OutpostException INVALID_ARGUMENT unless {@code bytes} has exactly {@value #BYTES} bytes
   */
  public static BlockId of(byte[] bytes) {
    if (bytes == null || bytes.length != BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "block id must be " + BYTES + " bytes, got " + (bytes == null ? "null" : bytes.length));
    }
    return new BlockId(bytes.clone());
  }

  /** Reads {@value #BYTES} bytes at {@code offset}. */
  public static BlockId of(byte[] source, int offset) {
    if (offset < 0 || source.length - offset < BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "block id runs past the end of its buffer");
    }
    return new BlockId(Arrays.copyOfRange(source, offset, offset + BYTES));
  }

  /** Parses 64 hex digits. */
  public static BlockId fromHex(String hex) {
    try {
      return of(HexFormat.of().parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "not a hex block id: " + hex, e);
    }
  }

  /** A copy of the 32 bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Copies the id into {@code target} at {@code offset}. */
  public void copyTo(byte[] target, int offset) {
    System.arraycopy(bytes, 0, target, offset, BYTES);
  }

  /** The byte at {@code index}, for callers that must not copy (hashing, key building). */
  public byte byteAt(int index) {
    return bytes[index];
  }

  /** The first 8 bytes as a big-endian long: a well-mixed value for sharding and content-defined grouping. */
  public long prefixLong() {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (bytes[i] & 0xff);
    }
    return v;
  }

  public String hex() {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlockId other && hash == other.hash && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(BlockId o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  /** Short form for logs: the first 12 hex digits. */
  @Override
  public String toString() {
    return hex().substring(0, 12);
  }
}
