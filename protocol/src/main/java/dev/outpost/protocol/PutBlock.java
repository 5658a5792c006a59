package dev.outpost.protocol;

import dev.outpost.core.BlockId;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * Uploads one block. Answered by {@link Ok}, or by an {@link ErrorReply} (BLOCK_CORRUPT when the bytes do not hash to the id).
 *
 * <p>Owns one ByteBuf, the ciphertext, and is {@link ReferenceCounted} by delegation to it (like Netty's
 * {@code DefaultByteBufHolder}): whoever holds this message releases it exactly once. Writing it to a channel
 * passes ownership to the outbound path, which sends the buffer without copying. {@code equals} compares the
 * ciphertext by content.
 *
 * <p>Warning: if the constructor throws, ownership of {@code cipher} stays with the caller.
 *
 * @param id the block's id (SHA-256 of the ciphertext; checked by the receiver, not here)
 * @param cipher the ciphertext's readable bytes, 1..{@link Frames#MAX_BLOCK_BYTES}
 */
public record PutBlock(BlockId id, ByteBuf cipher) implements Request, ReferenceCounted {
  public PutBlock {
    Invariants.present(id, "block id");
    Invariants.present(cipher, "ciphertext");
    Invariants.range(cipher.readableBytes(), 1, Frames.MAX_BLOCK_BYTES, "block ciphertext length");
  }

  @Override
  public int refCnt() {
    return cipher.refCnt();
  }

  @Override
  public PutBlock retain() {
    cipher.retain();
    return this;
  }

  @Override
  public PutBlock retain(int increment) {
    cipher.retain(increment);
    return this;
  }

  @Override
  public PutBlock touch() {
    cipher.touch();
    return this;
  }

  @Override
  public PutBlock touch(Object hint) {
    cipher.touch(hint);
    return this;
  }

  @Override
  public boolean release() {
    return cipher.release();
  }

  @Override
  public boolean release(int decrement) {
    return cipher.release(decrement);
  }

  @Override
  public String toString() {
    return "PutBlock[" + id + ", " + (cipher.refCnt() > 0 ? cipher.readableBytes() + " bytes" : "released") + "]";
  }
}
