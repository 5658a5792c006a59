package dev.outpost.client;

import dev.outpost.core.BlockId;
import dev.outpost.crypto.ChildRef;

/**
 * A file version's content in the clear: root block, depth, root ciphertext length, root key (unwrapped) and
 * size. Never leaves the client. The key array is not copied.
 */
record ContentRoot(BlockId block, int depth, int cipherLength, byte[] key, long sizeBytes) {
  /** The root as a child entry: for depth 0 it is the file's only data block. */
  ChildRef asChild() {
    return new ChildRef(block, cipherLength, key, sizeBytes);
  }

  @Override
  public String toString() {
    return "ContentRoot[" + block + ", depth=" + depth + ", size=" + sizeBytes + "]";
  }
}
