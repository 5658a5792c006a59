package dev.outpost.protocol;

import dev.outpost.core.BlockId;
import java.util.List;

/**
 * Fetches blocks. Answered by one frame per id, in any order, each {@link BlockData} or
 * {@link BlockMissing}; all but the last carry {@link Frame#MORE}.
 *
 * @param ids 1..{@value #MAX_IDS} ids (an immutable copy)
 */
public record GetBlocks(List<BlockId> ids) implements Request {
  public static final int MAX_IDS = 1024;

  public GetBlocks {
    ids = Invariants.list(ids, 1, MAX_IDS, "block ids");
  }
}
