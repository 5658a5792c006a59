package dev.outpost.core;

import java.util.Arrays;

/**
 * Where a file version's content starts: the root block and the root's key wrapped under the volume key.
 *
 * @param block the root block: a data block when {@code depth == 0}, else an index block
 * @param depth index levels above the data blocks (0 for a file of one chunk)
 * @param cipherLength length of the root block's ciphertext, so a reader can bound its fetch
 * @param wrappedKey the root key sealed under the volume's wrap key; opaque to proxy and origin
 */
public record RootRef(BlockId block, int depth, int cipherLength, byte[] wrappedKey) {
  /** Index trees deeper than this are refused (a 2^64-byte file needs fewer levels). */
  public static final int MAX_DEPTH = 8;
  /** Upper bound on a wrapped key's length, checked before allocation when decoding. */
  public static final int MAX_WRAPPED_KEY_BYTES = 128;

  public RootRef {
    if (block == null || wrappedKey == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "root reference needs a block and a wrapped key");
    }
    if (depth < 0 || depth > MAX_DEPTH) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "root depth " + depth + " outside 0.." + MAX_DEPTH);
    }
    if (cipherLength <= 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "root cipher length must be positive: " + cipherLength);
    }
    if (wrappedKey.length == 0 || wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "wrapped key length " + wrappedKey.length);
    }
    wrappedKey = wrappedKey.clone();
  }

  @Override
  public byte[] wrappedKey() {
    return wrappedKey.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RootRef r && depth == r.depth && cipherLength == r.cipherLength && block.equals(r.block)
        && Arrays.equals(wrappedKey, r.wrappedKey);
  }

  @Override
  public int hashCode() {
    return block.hashCode() * 31 + depth;
  }

  @Override
  public String toString() {
    return "RootRef[" + block + ", depth=" + depth + ", cipherLength=" + cipherLength + "]";
  }
}
