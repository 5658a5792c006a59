package dev.outpost.store;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Utf8;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads the fields {@link BinaryWriter} wrote, in the same order. Every read is bounds-checked before it
 * allocates; a record that is too short or has a length running past its end fails with INTERNAL
 * ("corrupt record"), since stored records are only ever written by this code.
 *
 * <p>Warning: inside a transaction the reader may look straight at the memory map. Codecs must copy what
 * they keep (every method here returns copies) and must not keep the reader.
 */
public final class BinaryReader {
  private final ByteBuffer buffer;

  /** Reads the remaining bytes of {@code source}; its position is not moved. */
  public BinaryReader(ByteBuffer source) {
    this.buffer = source.duplicate().order(ByteOrder.BIG_ENDIAN);
  }

  public BinaryReader(byte[] source) {
    this(ByteBuffer.wrap(source));
  }

  public int remaining() {
    return buffer.remaining();
  }

  public byte readByte() {
    need(1, "byte");
    return buffer.get();
  }

  public boolean readBoolean() {
    byte b = readByte();
    if (b != 0 && b != 1) {
      throw corrupt("boolean byte " + b);
    }
    return b == 1;
  }

  public int readInt() {
    need(Integer.BYTES, "int");
    return buffer.getInt();
  }

  public long readLong() {
    need(Long.BYTES, "long");
    return buffer.getLong();
  }

  /** Reverses {@link BinaryWriter#writeSortableLong}. */
  public long readSortableLong() {
    return readLong() ^ Long.MIN_VALUE;
  }

  public BlockId readBlockId() {
    return BlockId.of(readRaw(BlockId.BYTES));
  }

  /** Exactly {@code length} bytes, copied. */
  public byte[] readRaw(int length) {
    if (length < 0) {
      throw corrupt("negative length " + length);
    }
    need(length, length + " bytes");
    byte[] out = new byte[length];
    buffer.get(out);
    return out;
  }

  /** Everything left, copied. */
  public byte[] readRest() {
    return readRaw(buffer.remaining());
  }

  /** Reverses {@link BinaryWriter#writeBytes}. */
  public byte[] readBytes() {
    return readRaw(readInt());
  }

  /** Everything left as UTF-8: reverses {@link BinaryWriter#writeUtf8} as the last field. */
  public String readUtf8Rest() {
    return decodeUtf8(readRest());
  }

  /** Reverses {@link BinaryWriter#writeString}. */
  public String readString() {
    return decodeUtf8(readBytes());
  }

  /** Fails unless every byte was read: trailing bytes mean the record is not what the codec thinks. */
  public void expectEnd() {
    if (buffer.hasRemaining()) {
      throw corrupt(buffer.remaining() + " unexpected trailing bytes");
    }
  }

  private void need(int bytes, String what) {
    if (buffer.remaining() < bytes) {
      throw corrupt("needs " + what + " but only " + buffer.remaining() + " bytes remain");
    }
  }

  private static String decodeUtf8(byte[] bytes) {
    return Utf8.decode(bytes).orElseThrow(() -> corrupt("invalid UTF-8"));
  }

  private static OutpostException corrupt(String what) {
    return new OutpostException(ErrorCode.INTERNAL, "corrupt record: " + what);
  }
}
