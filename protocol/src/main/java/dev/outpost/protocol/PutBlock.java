package dev.outpost.protocol;

import dev.outpost.core.BlockId;
import io.netty.buffer.ByteBuf;

/**
 * Uploads one block; owns its ciphertext buffer (see {@link BlockPayload}). Answered by {@link Ok}, or by an
 * {@link ErrorReply} (BLOCK_CORRUPT when the bytes do not hash to the id). {@code equals} compares the
 * ciphertext by content.
 *
 * @param id the block's id
 * @param cipher the ciphertext's readable bytes, 1..{@link Frames#MAX_BLOCK_BYTES}
 */
public record PutBlock(BlockId id, ByteBuf cipher) implements Request, BlockPayload {
  public PutBlock {
    BlockPayload.check(id, cipher);
  }

  @Override
  public String toString() {
    return BlockPayload.describe("PutBlock", id, cipher);
  }
}
