package dev.outpost.store;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Utf8;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Appends the fields of a key or record, big-endian, to a growable direct buffer (LMDB takes keys and
 * values only from direct memory). {@link Codec}s write through it; {@link BinaryReader} reads the same
 * layout back.
 *
 * <p>Order-preserving fields, for keys that must sort as their values compare: {@link
 * #writeSortableLong} and, as the last field only, {@link #writeUtf8}. Length-prefixed {@link #writeString}
 * and {@link #writeBytes(byte[])} do not sort meaningfully; use them in values.
 *
 * <p>Not thread-safe. A writer handed to a codec by a transaction is reused for the next operation.
 *
 * @throws OutpostException INVALID_ARGUMENT from any write that would pass {@code maxBytes}, or for a
 *     string that is not valid Unicode (an unpaired surrogate)
 */
public final class BinaryWriter {
  private final int maxBytes;
  private final String label;
  private ByteBuffer buffer;

  /**
   * @param initialBytes first capacity; the buffer doubles as needed
   * @param maxBytes the writer refuses to hold more than this
   */
  public BinaryWriter(int initialBytes, int maxBytes) {
    this(initialBytes, maxBytes, "record");
  }

  /** {@code label} names what is written ("key", "record") in the error for passing {@code maxBytes}. */
  BinaryWriter(int initialBytes, int maxBytes, String label) {
    if (initialBytes < 1 || maxBytes < initialBytes) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "binary writer: need 1 <= initialBytes <= maxBytes, got " + initialBytes + ", " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.label = label;
    this.buffer = ByteBuffer.allocateDirect(initialBytes).order(ByteOrder.BIG_ENDIAN);
  }

  /** Forgets what was written, keeping the capacity. */
  public BinaryWriter reset() {
    buffer.clear();
    return this;
  }

  /** Bytes written since the last reset. */
  public int size() {
    return buffer.position();
  }

  public int capacity() {
    return buffer.capacity();
  }

  public int maxBytes() {
    return maxBytes;
  }

  public BinaryWriter writeByte(int value) {
    ensure(1).put((byte) value);
    return this;
  }

  public BinaryWriter writeBoolean(boolean value) {
    return writeByte(value ? 1 : 0);
  }

  public BinaryWriter writeInt(int value) {
    ensure(Integer.BYTES).putInt(value);
    return this;
  }

  public BinaryWriter writeLong(long value) {
    ensure(Long.BYTES).putLong(value);
    return this;
  }

  /**
   * Eight bytes whose unsigned order is the signed order of the values: big-endian with the sign bit
   * flipped, so -1 sorts before 0 and 255 before 256.
   */
  public BinaryWriter writeSortableLong(long value) {
    return writeLong(value ^ Long.MIN_VALUE);
  }

  /** The 32 bytes of the id; ids sort as {@link BlockId#compareTo}. */
  public BinaryWriter writeBlockId(BlockId id) {
    ByteBuffer b = ensure(BlockId.BYTES);
    for (int i = 0; i < BlockId.BYTES; i++) {
      b.put(id.byteAt(i));
    }
    return this;
  }

  /** The bytes as they are, no length: for the last field of a key or a record. */
  public BinaryWriter writeRaw(byte[] bytes) {
    ensure(bytes.length).put(bytes);
    return this;
  }

  /** The remaining bytes of {@code bytes} as they are; its position is not moved. */
  public BinaryWriter writeRaw(ByteBuffer bytes) {
    ensure(bytes.remaining()).put(bytes.duplicate());
    return this;
  }

  /** A 4-byte length, then the bytes. */
  public BinaryWriter writeBytes(byte[] bytes) {
    writeInt(bytes.length);
    return writeRaw(bytes);
  }

  /**
   * UTF-8 with no length or terminator: only valid as the last field. Byte order of UTF-8 is code point
   * order, so keys ending in a name sort by name.
   *
   * @throws OutpostException INVALID_ARGUMENT for an unpaired surrogate (the JDK would store '?' instead)
   */
  public BinaryWriter writeUtf8(String value) {
    return writeRaw(Utf8.encode(value));
  }

  /** A 4-byte length, then strict UTF-8 (as {@link #writeUtf8}). */
  public BinaryWriter writeString(String value) {
    return writeBytes(Utf8.encode(value));
  }

  /** A copy of what was written. */
  public byte[] toByteArray() {
    byte[] out = new byte[buffer.position()];
    buffer.duplicate().flip().get(out);
    return out;
  }

  /** A view of what was written, valid until the next write or reset. */
  ByteBuffer view() {
    return buffer.duplicate().flip();
  }

  private ByteBuffer ensure(int more) {
    int needed = buffer.position() + more;
    if (more < 0 || needed < 0 || needed > maxBytes) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          label + " too large: " + ((long) buffer.position() + more) + " bytes, at most " + maxBytes);
    }
    if (needed > buffer.capacity()) {
      int capacity = (int) Math.min(maxBytes, Math.max(needed, 2L * buffer.capacity()));
      ByteBuffer bigger = ByteBuffer.allocateDirect(capacity).order(ByteOrder.BIG_ENDIAN);
      bigger.put(buffer.flip());
      buffer = bigger;
    }
    return buffer;
  }
}
