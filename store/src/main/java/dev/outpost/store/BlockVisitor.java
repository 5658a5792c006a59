package dev.outpost.store;

import dev.outpost.core.BlockId;

/** Receives the blocks of a {@link BlockStore#forEachId} walk: the id and the ciphertext length. */
@FunctionalInterface
public interface BlockVisitor {
  void visit(BlockId id, int cipherLength);
}
