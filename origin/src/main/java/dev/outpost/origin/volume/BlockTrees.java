package dev.outpost.origin.volume;

import dev.outpost.core.BlockRef;
import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.crypto.IndexBlock;
import dev.outpost.store.BlockStore;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Walks a file version's block tree through the index blocks' public parts (no key needed). Each index block
 * is read in its own short read transaction, so a walk never holds one open; callers that need the tree to
 * stay put rely on blocks being immutable and on GC's touch times (see {@link LmdbVolume#collectGarbage}).
 */
final class BlockTrees {
  /** Receives what a walk finds. */
  interface Visitor {
    /** Every block of the tree once: the root, each index block and each data block. */
    void block(BlockId id, int cipherLength, int level);

    /** An index block the store lacks: its subtree cannot be enumerated. */
    void missingIndex(BlockId id, int level);

    /** An index block that is present but unreadable at its level. */
    void corruptIndex(BlockId id, int level, OutpostException why);
  }

  private record Pending(BlockId id, int cipherLength, int level) {}

  private final BlockStore blocks;

  BlockTrees(BlockStore blocks) {
    this.blocks = blocks;
  }

  /**
   * Visits the tree under {@code root}. Ids already in {@code seen} are skipped with their whole subtree
   * (a block's content, hence its subtree, is fixed by its id); visited ids are added to it. Termination
   * is bounded by the levels: a child is always one level below its parent.
   */
  void walk(RootRef root, Set<BlockId> seen, Visitor visitor) {
    if (!seen.add(root.block())) {
      return;
    }
    Deque<Pending> stack = new ArrayDeque<>();
    stack.push(new Pending(root.block(), root.cipherLength(), root.depth()));
    while (!stack.isEmpty()) {
      Pending p = stack.pop();
      visitor.block(p.id(), p.cipherLength(), p.level());
      if (p.level() == 0) {
        continue;
      }
      Optional<byte[]> cipher = blocks.withBlock(p.id(), BlockTrees::copy);
      if (cipher.isEmpty()) {
        visitor.missingIndex(p.id(), p.level());
        continue;
      }
      List<dev.outpost.core.BlockRef> children;
      try {
        children = children(p.id(), cipher.get(), p.level());
      } catch (OutpostException e) {
        visitor.corruptIndex(p.id(), p.level(), e);
        continue;
      }
      for (int i = children.size() - 1; i >= 0; i--) {
        dev.outpost.core.BlockRef c = children.get(i);
        if (seen.add(c.id())) {
          stack.push(new Pending(c.id(), c.cipherLength(), p.level() - 1));
        }
      }
    }
  }

  /**
   * The children of an index block expected at {@code level}.
   *
   * @throws OutpostException BLOCK_CORRUPT if it is not a well-formed index block of that level
   */
  static List<dev.outpost.core.BlockRef> children(BlockId id, byte[] cipher, int level) {
    int actual;
    List<dev.outpost.core.BlockRef> children;
    try {
      actual = IndexBlock.level(cipher);
      children = IndexBlock.readPublic(cipher);
    } catch (OutpostException e) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "index block " + id.hex() + ": " + e.getMessage(), e);
    }
    if (actual != level) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT,
          "index block " + id.hex() + " is at level " + actual + " but is referenced at level " + level);
    }
    return children;
  }

  private static byte[] copy(java.nio.ByteBuffer view) {
    byte[] out = new byte[view.remaining()];
    view.duplicate().get(out);
    return out;
  }
}
