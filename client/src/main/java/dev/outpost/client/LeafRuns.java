package dev.outpost.client;

import dev.outpost.core.BlockId;
import dev.outpost.crypto.ChildRef;
import dev.outpost.crypto.IndexBlock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Walks a file version's data-block entries in file order as runs of one entry repeated, for a writer that
 * reuses them ({@link FileWrite#append}). An index block whose subtree holds one entry only (a run of zeros: one
 * zero chunk under index blocks that repeat it) becomes one run without being descended, so a long run costs
 * O(depth) index blocks, not one step per chunk. Runs overlap {@code [from, to)}; the first and last may reach
 * past it. Index blocks come from the {@link IndexCache} and are checked against their entries as a reader
 * checks them.
 *
 * <p>Not thread-safe; {@link #next()} blocks while an index block is fetched.
 */
final class LeafRuns {
  /** {@code count} consecutive copies of {@code leaf}, the first starting at {@code fileOffset}. */
  record Run(ChildRef leaf, long count, long fileOffset) {
    long end() {
      return fileOffset + count * leaf.plainBytes();
    }
  }

  private record Uniform(ChildRef leaf, long count) {}

  private static final class Frame {
    final List<ChildRef> children;
    final int level;
    int index;
    long offset;

    Frame(List<ChildRef> children, int level, long offset) {
      this.children = children;
      this.level = level;
      this.offset = offset;
    }
  }

  private final IndexCache index;
  private final long from;
  private final long to;
  private final Deque<Frame> stack = new ArrayDeque<>();
  /** Most index blocks remembered as repeating one entry; past it the memory starts again (it only saves work). */
  static final int MAX_REMEMBERED = 4096;

  /** Index blocks found to hold one entry repeated, by id: a block's subtree is fixed by its id. */
  private final Map<BlockId, Uniform> uniform = new HashMap<>();
  private Run single;
  private Run held;

  LeafRuns(IndexCache index, ContentRoot root, long from, long to) {
    this.index = index;
    this.from = from;
    this.to = Math.min(to, root.sizeBytes());
    if (from >= this.to) {
      return;
    }
    if (root.depth() == 0) {
      single = new Run(root.asChild(), 1, 0);
    } else {
      stack.push(new Frame(LeafCursor.open(index, root.asChild(), root.depth()).children(), root.depth(), 0));
    }
  }

  /** The next run, consecutive runs of one entry merged; null when none is left. */
  Run next() {
    while (true) {
      Run r = nextUnmerged();
      if (r == null) {
        Run last = held;
        held = null;
        return last;
      }
      if (held == null) {
        held = r;
      } else if (held.leaf().equals(r.leaf()) && held.end() == r.fileOffset()) {
        held = new Run(held.leaf(), held.count() + r.count(), held.fileOffset());
      } else {
        Run out = held;
        held = r;
        return out;
      }
    }
  }

  private Run nextUnmerged() {
    if (single != null) {
      Run r = single;
      single = null;
      return r;
    }
    while (!stack.isEmpty()) {
      Frame f = stack.peek();
      if (f.index == f.children.size()) {
        stack.pop();
        continue;
      }
      ChildRef child = f.children.get(f.index);
      long start = f.offset;
      if (start >= to) {
        stack.clear();
        return null;
      }
      long end = start + child.plainBytes();
      f.index++;
      f.offset = end;
      if (end <= from) {
        continue;
      }
      if (f.level == 1) {
        return new Run(child, 1, start);
      }
      IndexBlock.Opened node = LeafCursor.open(index, child, f.level - 1);
      if (start >= from && end <= to) {
        Optional<Uniform> u = uniform(child, node, f.level - 1);
        if (u.isPresent()) {
          return new Run(u.get().leaf(), u.get().count(), start);
        }
      }
      stack.push(new Frame(node.children(), f.level - 1, start));
    }
    return null;
  }

  /** The one entry {@code node} (at {@code level}) repeats down to its data blocks, if it repeats only one. */
  private Optional<Uniform> uniform(ChildRef ref, IndexBlock.Opened node, int level) {
    Uniform known = uniform.get(ref.id());
    if (known != null) {
      return Optional.of(known);
    }
    ChildRef first = node.children().getFirst();
    if (!node.children().stream().allMatch(first::equals)) {
      return Optional.empty();
    }
    long n = node.children().size();
    Optional<Uniform> u = level == 1 ? Optional.of(new Uniform(first, n))
        : uniform(first, LeafCursor.open(index, first, level - 1), level - 1)
            .map(below -> new Uniform(below.leaf(), below.count() * n));
    u.ifPresent(found -> {
      if (uniform.size() >= MAX_REMEMBERED) {
        uniform.clear();
      }
      uniform.put(ref.id(), found);
    });
    return u;
  }
}
