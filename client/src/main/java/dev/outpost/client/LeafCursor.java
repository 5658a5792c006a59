package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.ChildRef;
import dev.outpost.crypto.IndexBlock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Walks a file's index tree in file order, yielding the data blocks that overlap {@code [from, to)}. Index
 * blocks come from the {@link IndexCache}; entering an index block starts the fetch of the siblings after it
 * that cover the next {@code lookAheadBytes} of the file (at least one), so a sequential read whose read-ahead
 * window spans several index blocks does not wait for one: fetched on demand, an index block would queue
 * behind the window's data on the link and stall the reader for the whole window. Every level and size is checked against the parent entry, so
 * offsets computed from a tampered or inconsistent tree fail with BLOCK_CORRUPT instead of reading wrong bytes.
 *
 * <p>Not thread-safe; {@link #next()} blocks while an index block is fetched.
 */
final class LeafCursor {
  /** A data block and where its bytes start in the file. */
  record Leaf(ChildRef ref, long fileOffset) {
    long end() {
      return fileOffset + ref.plainBytes();
    }
  }

  private static final class Frame {
    final List<ChildRef> children;
    int index;
    long offset;
    /** Children before this one have been asked for ahead (index frames only). */
    int warmedTo;

    Frame(List<ChildRef> children, int index, long offset) {
      this.children = children;
      this.index = index;
      this.offset = offset;
    }
  }

  private final IndexCache index;
  private final long lookAheadBytes;
  private final long to;
  private final int rootDepth;
  private final Deque<Frame> stack = new ArrayDeque<>();
  private Leaf single;
  private boolean done;

  LeafCursor(IndexCache index, ContentRoot root, long from, long to, long lookAheadBytes) {
    this.index = index;
    this.lookAheadBytes = lookAheadBytes;
    this.to = Math.min(to, root.sizeBytes());
    this.rootDepth = root.depth();
    if (from >= this.to) {
      done = true;
      return;
    }
    if (root.depth() == 0) {
      single = new Leaf(root.asChild(), 0);
      return;
    }
    ChildRef ref = root.asChild();
    int level = root.depth();
    long offset = 0;
    while (true) {
      IndexBlock.Opened node = open(ref, level);
      Frame f = new Frame(node.children(), 0, offset);
      while (f.index < f.children.size() && f.offset + f.children.get(f.index).plainBytes() <= from) {
        f.offset += f.children.get(f.index).plainBytes();
        f.index++;
      }
      if (f.index == f.children.size()) {
        throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "index tree ends before offset " + from);
      }
      stack.push(f);
      if (level == 1) {
        return;
      }
      warmSiblingsAfter(f);
      ref = f.children.get(f.index);
      offset = f.offset;
      level--;
    }
  }

  /** The next overlapping data block, or null when none is left. */
  Leaf next() {
    if (done) {
      return null;
    }
    if (single != null) {
      done = true;
      return single;
    }
    while (!stack.isEmpty()) {
      Frame top = stack.peek();
      if (top.index >= top.children.size()) {
        stack.pop();
        Frame parent = stack.peek();
        if (parent != null) {
          parent.offset += parent.children.get(parent.index).plainBytes();
          parent.index++;
        }
        continue;
      }
      if (top.offset >= to) {
        done = true;
        return null;
      }
      // Frames are pushed one level apart, the bottom one at the root's depth.
      int level = rootDepth - (stack.size() - 1);
      ChildRef child = top.children.get(top.index);
      if (level == 1) {
        Leaf leaf = new Leaf(child, top.offset);
        top.offset += child.plainBytes();
        top.index++;
        return leaf;
      }
      // An index child: descend, and warm the siblings the read will need after it.
      warmSiblingsAfter(top);
      IndexBlock.Opened node = open(child, level - 1);
      stack.push(new Frame(node.children(), 0, top.offset));
    }
    done = true;
    return null;
  }

  /**
   * Starts fetching the index children after {@code f}'s current one that cover the next lookAheadBytes (at
   * least one), none past the end of the range.
   */
  private void warmSiblingsAfter(Frame f) {
    long start = f.offset + f.children.get(f.index).plainBytes();
    long covered = 0;
    int i = f.index + 1;
    for (; i < f.children.size() && start < to && (i == f.index + 1 || covered < lookAheadBytes); i++) {
      if (i >= f.warmedTo) {
        index.prefetch(f.children.get(i));
      }
      long plain = f.children.get(i).plainBytes();
      covered += plain;
      start += plain;
    }
    f.warmedTo = Math.max(f.warmedTo, i);
  }

  private IndexBlock.Opened open(ChildRef ref, int expectedLevel) {
    return open(index, ref, expectedLevel);
  }

  /**
   * The index block {@code ref} points at, checked against its entry: the level its parent expects and the bytes
   * the entry says are under it.
   *
   * @throws OutpostException BLOCK_CORRUPT if either differs
   */
  static IndexBlock.Opened open(IndexCache index, ChildRef ref, int expectedLevel) {
    IndexBlock.Opened node = Futures.join(index.get(ref));
    if (node.level() != expectedLevel) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT,
          "index block " + ref.id() + " has level " + node.level() + ", its parent expects " + expectedLevel);
    }
    if (node.plainBytes() != ref.plainBytes()) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT,
          "index block " + ref.id() + " covers " + node.plainBytes() + " bytes, its parent says " + ref.plainBytes());
    }
    return node;
  }
}
