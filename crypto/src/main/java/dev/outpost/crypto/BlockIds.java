package dev.outpost.crypto;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/** Block ids are SHA-256 of the ciphertext: anyone can check a block against its id without a key. Thread-safe. */
public final class BlockIds {
  private BlockIds() {}

  public static BlockId of(byte[] cipher) {
    return of(cipher, 0, cipher.length);
  }

  public static BlockId of(byte[] cipher, int offset, int length) {
    MessageDigest md = Primitives.get().sha256;
    md.update(cipher, offset, length);
    return BlockId.of(md.digest());
  }

  /** Hashes {@code cipher}'s remaining bytes; its position is unchanged. */
  public static BlockId of(ByteBuffer cipher) {
    MessageDigest md = Primitives.get().sha256;
    md.update(cipher.duplicate());
    return BlockId.of(md.digest());
  }

  /** @throws OutpostException BLOCK_CORRUPT unless {@code cipher} hashes to {@code id} */
  public static void verify(BlockId id, byte[] cipher) {
    verify(id, cipher, 0, cipher.length);
  }

  public static void verify(BlockId id, byte[] cipher, int offset, int length) {
    check(id, of(cipher, offset, length));
  }

  public static void verify(BlockId id, ByteBuffer cipher) {
    check(id, of(cipher));
  }

  private static void check(BlockId expected, BlockId actual) {
    if (!expected.equals(actual)) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "block " + expected + " hashes to " + actual);
    }
  }
}
