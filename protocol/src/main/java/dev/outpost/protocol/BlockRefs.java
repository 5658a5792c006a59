package dev.outpost.protocol;

import dev.outpost.core.BlockRef;
import java.util.List;

/**
 * One batch of a {@link ListBlocks} or {@link DiffBlocks} answer. The sender sizes batches so a frame stays below the peer's
 * frame limit (at most {@value #MAX_REFS} refs).
 *
 * @param refs an immutable copy, possibly empty
 */
public record BlockRefs(List<BlockRef> refs) implements Reply {
  /** 16384 refs of 36 bytes fit well within the default 2 MiB frame. */
  public static final int MAX_REFS = 16384;

  public BlockRefs {
    refs = Invariants.list(refs, 0, MAX_REFS, "block refs");
    for (BlockRef r : refs) {
      Invariants.range(r.cipherLength(), 1, Frames.MAX_BLOCK_BYTES, "block cipher length");
    }
  }
}
