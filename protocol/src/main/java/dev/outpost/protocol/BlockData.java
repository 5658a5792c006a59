package dev.outpost.protocol;

import dev.outpost.core.BlockId;
import io.netty.buffer.ByteBuf;

/**
 * One block answering {@link GetBlocks}; owns its ciphertext buffer (see {@link BlockPayload}). {@code equals}
 * compares the ciphertext by content.
 *
 * @param id the block's id
 * @param cipher the ciphertext's readable bytes, 1..{@link Frames#MAX_BLOCK_BYTES}
 */
public record BlockData(BlockId id, ByteBuf cipher) implements Reply, BlockPayload {
  public BlockData {
    BlockPayload.check(id, cipher);
  }

  @Override
  public String toString() {
    return BlockPayload.describe("BlockData", id, cipher);
  }
}
