package dev.outpost.protocol;

import dev.outpost.core.BlockId;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * A message that carries one block: its id and its ciphertext as ONE owned ByteBuf, {@link ReferenceCounted}
 * by delegation to it (like Netty's {@code DefaultByteBufHolder}). Whoever holds the message releases it
 * exactly once; writing it to a channel passes ownership to the outbound path, which sends the buffer without
 * copying.
 *
 * <p>Warning: if a constructor throws, ownership of the buffer stays with the caller.
 */
public sealed interface BlockPayload extends ReferenceCounted permits BlockData, PutBlock {
  /** The block's id (SHA-256 of the ciphertext; checked by the receiver, not by the message). */
  BlockId id();

  /** The ciphertext's readable bytes, 1..{@link Frames#MAX_BLOCK_BYTES}. */
  ByteBuf cipher();

  @Override
  default int refCnt() {
    return cipher().refCnt();
  }

  @Override
  default BlockPayload retain() {
    cipher().retain();
    return this;
  }

  @Override
  default BlockPayload retain(int increment) {
    cipher().retain(increment);
    return this;
  }

  @Override
  default BlockPayload touch() {
    cipher().touch();
    return this;
  }

  @Override
  default BlockPayload touch(Object hint) {
    cipher().touch(hint);
    return this;
  }

  @Override
  default boolean release() {
    return cipher().release();
  }

  @Override
  default boolean release(int decrement) {
    return cipher().release(decrement);
  }

  /** The checks both messages make in their constructors. */
  static void check(BlockId id, ByteBuf cipher) {
    Invariants.present(id, "block id");
    Invariants.present(cipher, "ciphertext");
    Invariants.range(cipher.readableBytes(), 1, Frames.MAX_BLOCK_BYTES, "block ciphertext length");
  }

  /** "Name[id, N bytes]" without touching a released buffer's content. */
  static String describe(String name, BlockId id, ByteBuf cipher) {
    return name + "[" + id + ", " + (cipher.refCnt() > 0 ? cipher.readableBytes() + " bytes" : "released") + "]";
  }
}
