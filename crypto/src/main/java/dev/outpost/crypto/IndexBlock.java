package dev.outpost.crypto;

import dev.outpost.core.BlockRef;
import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads index blocks (FORMAT.md §4). Layout, all integers big-endian:
 *
 * <pre>
 *  public part:  0x03 | u8 level | u32 count | count × ( BlockId[32] | u32 cipherLength )
 *  sealed part:  AES-256-GCM(key, nonce 0, AAD = public part, count × ( key[32] | u64 plainBytes )) | tag[16]
 * </pre>
 *
 * The public part is readable by anyone (proxy and origin enumerate children for warming and GC); the
 * sealed part needs the block's key, which the parent entry (or the wrapped root key) holds.
 *
 * <p>Stateless and thread-safe. Every count is checked against the block's length before anything is
 * allocated from it.
 */
public final class IndexBlock {
  /** Most children of one index block. */
  public static final int MAX_CHILDREN = 512;
  /** Fewest children of an index block that is not the last of its level. */
  public static final int MIN_CHILDREN = 4;
  /** A child closes its group when {@code (id.prefixLong() & BOUNDARY_MASK) == BOUNDARY_MASK}: fanout ≈ 64. */
  public static final long BOUNDARY_MASK = 63;
  static final int HEADER_BYTES = 6;
  static final int PUBLIC_ENTRY_BYTES = BlockId.BYTES + 4;
  static final int SEALED_ENTRY_BYTES = BlockFormat.KEY_BYTES + 8;

  /** An opened index block: its level (1 = children are data blocks) and its children in file order. */
  public record Opened(int level, List<ChildRef> children) {
    /** File bytes under this block. */
    public long plainBytes() {
      long sum = 0;
      for (ChildRef c : children) {
        sum += c.plainBytes();
      }
      return sum;
    }
  }

  private IndexBlock() {}

  static int publicLength(int count) {
    return HEADER_BYTES + count * PUBLIC_ENTRY_BYTES;
  }

  /** Ciphertext length of an index block with {@code count} children. */
  public static int cipherLength(int count) {
    return HEADER_BYTES + count * (PUBLIC_ENTRY_BYTES + SEALED_ENTRY_BYTES) + BlockFormat.TAG_BYTES;
  }

  /** True if the block (data or index) is a valid boundary: it closes its group when not forced otherwise. */
  static boolean isBoundary(BlockId id) {
    return (id.prefixLong() & BOUNDARY_MASK) == BOUNDARY_MASK;
  }

  /**
   * The level of an index block (1..{@link RootRef#MAX_DEPTH}), checking its shape.
   *
   * @throws OutpostException BLOCK_CORRUPT if {@code cipher} is not a well-formed index block
   */
  public static int level(byte[] cipher) {
    checkShape(cipher);
    return cipher[1];
  }

  /**
   * The children's ids and cipher lengths, without a key. Checks only the shape: verify the block against
   * its id first.
   *
   * @throws OutpostException BLOCK_CORRUPT if {@code cipher} is not a well-formed index block
   */
  public static List<BlockRef> readPublic(byte[] cipher) {
    int count = checkShape(cipher);
    List<BlockRef> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int at = HEADER_BYTES + i * PUBLIC_ENTRY_BYTES;
      out.add(new BlockRef(BlockId.of(cipher, at), childCipherLength(cipher, at)));
    }
    return out;
  }

  /**
   * Opens an index block with its key.
   *
   * @throws OutpostException BLOCK_CORRUPT if the shape is wrong, either part was tampered with, or an entry
   *     is out of range; INVALID_ARGUMENT for a key that is not 32 bytes
   */
  public static Opened open(byte[] key, byte[] cipher) {
    if (key == null || key.length != BlockFormat.KEY_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "block key must be 32 bytes");
    }
    int count = checkShape(cipher);
    int level = cipher[1];
    int publicLength = publicLength(count);
    byte[] sealed = new byte[count * SEALED_ENTRY_BYTES];
    Gcm.decrypt(Primitives.get().gcm, key, Gcm.ZERO_NONCE, cipher, 0, publicLength,
        cipher, publicLength, cipher.length - publicLength, sealed, 0, "index block");
    try {
      ByteBuffer sb = ByteBuffer.wrap(sealed);
      List<ChildRef> children = new ArrayList<>(count);
      long total = 0;
      for (int i = 0; i < count; i++) {
        int at = HEADER_BYTES + i * PUBLIC_ENTRY_BYTES;
        byte[] childKey = new byte[BlockFormat.KEY_BYTES];
        sb.get(childKey);
        long plainBytes = sb.getLong();
        if (plainBytes < 1 || (level == 1 && plainBytes > BlockFormat.MAX_PLAIN_BYTES)) {
          throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "index entry " + i + " claims " + plainBytes + " bytes");
        }
        total += plainBytes;
        if (total < 0) {
          throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "index block sizes overflow");
        }
        children.add(new ChildRef(BlockId.of(cipher, at), childCipherLength(cipher, at), childKey, plainBytes));
      }
      return new Opened(level, List.copyOf(children));
    } finally {
      Arrays.fill(sealed, (byte) 0);
    }
  }

  private static int childCipherLength(byte[] cipher, int entryAt) {
    int n = ByteBuffer.wrap(cipher, entryAt + BlockId.BYTES, 4).getInt();
    if (n < BlockFormat.MIN_CIPHER_BYTES || n > BlockFormat.MAX_CIPHER_BYTES) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "index entry cipher length " + Integer.toUnsignedString(n));
    }
    return n;
  }

  /** Validates header, level and count against the length; returns the count. */
  private static int checkShape(byte[] cipher) {
    if (cipher == null || cipher.length < HEADER_BYTES) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "index block shorter than its header");
    }
    if (cipher[0] != BlockFormat.INDEX) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "not an index block: type " + cipher[0]);
    }
    int level = cipher[1] & 0xff;
    if (level < 1 || level > RootRef.MAX_DEPTH) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "index level " + level + " outside 1.." + RootRef.MAX_DEPTH);
    }
    long count = ByteBuffer.wrap(cipher, 2, 4).getInt() & 0xffffffffL;
    if (count < 1 || count > MAX_CHILDREN) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "index child count " + count + " outside 1.." + MAX_CHILDREN);
    }
    if (cipher.length != cipherLength((int) count)) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT,
          "index block of " + cipher.length + " bytes cannot hold " + count + " children");
    }
    return (int) count;
  }
}
