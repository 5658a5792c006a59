package dev.outpost.protocol;

import dev.outpost.core.BlockId;

/**
 * One id of a {@link GetBlocks} request that the server does not hold.
 *
 * @param id the block
 */
public record BlockMissing(BlockId id) implements Reply {
  public BlockMissing {
    Invariants.present(id, "block id");
  }
}
