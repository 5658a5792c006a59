package dev.outpost.protocol;

import dev.outpost.core.BlockId;
import java.util.List;

/**
 * The ids of a {@link HasBlocks} request that the server does not hold.
 *
 * @param missing 0..{@link HasBlocks#MAX_IDS} ids (an immutable copy)
 */
public record MissingBlocks(List<BlockId> missing) implements Reply {
  public MissingBlocks {
    missing = Invariants.list(missing, 0, HasBlocks.MAX_IDS, "missing block ids");
  }
}
