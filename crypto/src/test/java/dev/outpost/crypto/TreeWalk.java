package dev.outpost.crypto;

import dev.outpost.core.BlockId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A reader's walk of a file tree in tests: from the root down to the data-block entries, in order. */
final class TreeWalk {
  private TreeWalk() {}

  static List<ChildRef> leaves(FileRoot root, Map<BlockId, byte[]> store) {
    List<ChildRef> out = new ArrayList<>();
    if (root.depth() == 0) {
      out.add(new ChildRef(root.block(), root.cipherLength(), root.key(), root.sizeBytes()));
      return out;
    }
    walk(root.block(), root.key(), root.depth(), store, out);
    return out;
  }

  private static void walk(BlockId id, byte[] key, int level, Map<BlockId, byte[]> store, List<ChildRef> out) {
    byte[] cipher = store.get(id);
    BlockIds.verify(id, cipher);
    assert IndexBlock.readPublic(cipher).size() > 0;
    IndexBlock.Opened o = IndexBlock.open(key, cipher);
    if (o.level() != level) {
      throw new AssertionError("level " + o.level() + " where " + level + " was expected");
    }
    for (ChildRef c : o.children()) {
      if (level == 1) {
        out.add(c);
      } else {
        if (c.cipherLength() != store.get(c.id()).length) {
          throw new AssertionError("cipher length mismatch");
        }
        walk(c.id(), c.key(), level - 1, store, out);
      }
    }
  }
}
