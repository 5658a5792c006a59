package dev.outpost.protocol;

import dev.outpost.core.BlockId;

/**
 * A block and the length of its ciphertext, enough to fetch and account for it without a key.
 *
 * @param id the block's id
 * @param cipherLength 1..{@link Frames#MAX_BLOCK_BYTES}
 */
public record BlockRef(BlockId id, int cipherLength) {
  public BlockRef {
    Invariants.present(id, "block id");
    Invariants.range(cipherLength, 1, Frames.MAX_BLOCK_BYTES, "block cipher length");
  }
}
