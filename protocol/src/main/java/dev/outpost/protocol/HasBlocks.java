package dev.outpost.protocol;

import dev.outpost.core.BlockId;
import java.util.List;

/**
 * Asks which of these blocks the server lacks, before uploading. Answered by {@link MissingBlocks}.
 *
 * @param ids 1..{@value #MAX_IDS} ids (an immutable copy)
 */
public record HasBlocks(List<BlockId> ids) implements Request {
  public static final int MAX_IDS = 4096;

  public HasBlocks {
    ids = Invariants.list(ids, 1, MAX_IDS, "block ids");
  }
}
