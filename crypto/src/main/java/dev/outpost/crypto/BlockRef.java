package dev.outpost.crypto;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * The public half of a child entry of an index block: which block, and how long its ciphertext is (so a
 * fetch can be bounded). Readable without any key.
 */
public record BlockRef(BlockId id, int cipherLength) {
  public BlockRef {
    if (id == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "block ref needs an id");
    }
    if (cipherLength < BlockFormat.MIN_CIPHER_BYTES || cipherLength > BlockFormat.MAX_CIPHER_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cipher length " + cipherLength + " outside "
          + BlockFormat.MIN_CIPHER_BYTES + ".." + BlockFormat.MAX_CIPHER_BYTES);
    }
  }
}
