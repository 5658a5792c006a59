package dev.outpost.store;

import dev.outpost.core.BlockId;

/**
 * The codecs most tables need. Key codecs here are order-preserving (see {@link Codec}).
 *
 * <ul>
 *   <li>{@link #SORTABLE_LONG}: 8 bytes big-endian, sign bit flipped: keys sort numerically, negatives first.
 *   <li>{@link #UTF8}: the whole key is the UTF-8 string; sorts by code point.
 *   <li>{@link #CHILD_KEY}: sortable parent, then UTF-8 name: one directory's entries are contiguous.
 *   <li>{@link #BLOCK_ID}: the 32 bytes.
 *   <li>{@link #BYTES}: the bytes as they are (copied on read).
 *   <li>{@link #LONG}: 8 bytes big-endian, for values (and keys known to be non-negative).
 * </ul>
 */
public final class Codecs {
  public static final Codec<Long> SORTABLE_LONG =
      Codec.of((v, out) -> out.writeSortableLong(v), BinaryReader::readSortableLong);

  public static final Codec<Long> LONG = Codec.of((v, out) -> out.writeLong(v), BinaryReader::readLong);

  public static final Codec<String> UTF8 = Codec.of((v, out) -> out.writeUtf8(v), BinaryReader::readUtf8Rest);

  public static final Codec<BlockId> BLOCK_ID = Codec.of((v, out) -> out.writeBlockId(v), BinaryReader::readBlockId);

  public static final Codec<byte[]> BYTES = Codec.of((v, out) -> out.writeRaw(v), BinaryReader::readRest);

  public static final Codec<ChildKey> CHILD_KEY = Codec.of(
      (v, out) -> out.writeSortableLong(v.parent()).writeUtf8(v.name()),
      in -> new ChildKey(in.readSortableLong(), in.readUtf8Rest()));

  private Codecs() {}
}
