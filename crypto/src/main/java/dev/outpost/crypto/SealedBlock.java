package dev.outpost.crypto;

import dev.outpost.core.BlockId;

/**
 * A block ready to store or upload: its id (SHA-256 of {@code cipher}), its key, its ciphertext and the
 * length of its plaintext (the chunk length for a data block; the index plaintext length for an index block).
 *
 * <p>Arrays are not copied: the receiver owns them.
 */
public record SealedBlock(BlockId id, byte[] key, byte[] cipher, int plainLength) {
  public int cipherLength() {
    return cipher.length;
  }

  /** The entry a parent index block holds for this block, counting {@code plainLength} file bytes. */
  public ChildRef childRef() {
    return new ChildRef(id, cipher.length, key, plainLength);
  }

  @Override
  public String toString() {
    return "SealedBlock[" + id + ", cipherLength=" + cipher.length + ", plainLength=" + plainLength + "]";
  }
}
