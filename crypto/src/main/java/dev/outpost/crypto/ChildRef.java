package dev.outpost.crypto;

import dev.outpost.core.BlockRef;
import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.Arrays;

/**
 * A full child entry: the block, its ciphertext length, its key and the number of file bytes under it (a
 * chunk's length for a data block, the sum below for an index block).
 *
 * <p>The key array is not copied: whoever holds the record owns it.
 */
public record ChildRef(BlockId id, int cipherLength, byte[] key, long plainBytes) {
  public ChildRef {
    if (id == null || key == null || key.length != BlockFormat.KEY_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "child ref needs an id and a 32-byte key");
    }
    if (cipherLength < BlockFormat.MIN_CIPHER_BYTES || cipherLength > BlockFormat.MAX_CIPHER_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cipher length " + cipherLength + " outside "
          + BlockFormat.MIN_CIPHER_BYTES + ".." + BlockFormat.MAX_CIPHER_BYTES);
    }
    if (plainBytes < 1) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "a child holds at least one byte: " + plainBytes);
    }
  }

  /** The keyless part. */
  public BlockRef ref() {
    return new BlockRef(id, cipherLength);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChildRef c && cipherLength == c.cipherLength && plainBytes == c.plainBytes
        && id.equals(c.id) && Arrays.equals(key, c.key);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "ChildRef[" + id + ", cipherLength=" + cipherLength + ", plainBytes=" + plainBytes + "]";
  }
}
