package dev.outpost.crypto;

import dev.outpost.core.BlockId;

/**
 * Where a file version's content starts, in the clear: the root block (a data block at depth 0, else an
 * index block), the index depth, the root's ciphertext length and key, and the file size. The key is not
 * copied; wrap it with {@link RootKeys#wrap} before it leaves the client.
 */
public record FileRoot(BlockId block, int depth, int cipherLength, byte[] key, long sizeBytes) {
  @Override
  public String toString() {
    return "FileRoot[" + block + ", depth=" + depth + ", cipherLength=" + cipherLength + ", size=" + sizeBytes + "]";
  }
}
