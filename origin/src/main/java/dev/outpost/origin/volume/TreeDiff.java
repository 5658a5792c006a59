package dev.outpost.origin.volume;

import dev.outpost.core.BlockId;
import dev.outpost.core.BlockRef;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.core.Utf8;
import dev.outpost.core.VolumePath;
import dev.outpost.origin.volume.TableCodecs.EntryKey;
import dev.outpost.origin.volume.TableCodecs.NodeKey;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.PathChange;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.Table;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The differences between two trees of the volume (live or snapshots) under a path: which entries
 * changed ({@link #paths}) and which blocks the target references that the base does not ({@link #blocks}).
 * Needs no key: tree metadata and the index blocks' public parts say everything.
 *
 * <p>How: the two trees' inode tables and directory-entry tables are joined side by side in key order, in chunks
 * of {@value #CHUNK} keys (memory bounded by the chunk, not by the trees), inside one read transaction, so the
 * live tree is seen at one instant. An inode whose entry (parent, name) differs between the trees was moved; one
 * whose record differs changed in content or attributes. Paths are built only for what changed. Cost: one
 * sequential pass over both trees' metadata (no block read); then, for the blocks, the index trees of the
 * target's new or changed files and, to exclude what the base already references, the base's index trees under
 * the prefix (only when there is something to exclude), each walked outside any transaction. Memory: the
 * changes, the distinct roots of the base under the prefix, the candidate block ids.
 *
 * <p>Thread-safe (no state between calls).
 */
final class TreeDiff {
  private static final Logger log = LoggerFactory.getLogger(TreeDiff.class);
  static final int CHUNK = 4096;

  private final LmdbStorage storage;
  private final Namespace namespace;
  private final Snapshots snapshots;
  private final BlockTrees trees;
  private final int chunk;

  TreeDiff(LmdbStorage storage, Namespace namespace, Snapshots snapshots, BlockTrees trees) {
    this(storage, namespace, snapshots, trees, CHUNK);
  }

  /** @param chunk keys per join chunk (tests use tiny ones to cross chunk boundaries) */
  TreeDiff(LmdbStorage storage, Namespace namespace, Snapshots snapshots, BlockTrees trees, int chunk) {
    this.storage = storage;
    this.namespace = namespace;
    this.snapshots = snapshots;
    this.trees = trees;
    this.chunk = chunk;
  }

  /** What changed, in path order (REMOVED before another change at the same path). */
  List<PathChange> paths(String base, String target, String prefix) {
    return storage.read(txn -> {
      Scan scan = new Scan(txn, base, target, prefix);
      scan.run();
      List<PathChange> out = scan.changes;
      out.sort(Comparator.comparing(PathChange::path).thenComparing(c -> c.kind() != ChangeKind.REMOVED));
      return out;
    });
  }

  /**
   * Every block referenced by a file under {@code prefix} of {@code target} and by no file under it in
   * {@code base}, each once, handed to {@code sink} in batches of at most {@code batchSize}; {@code sink} never runs
   * inside a transaction.
   */
  void blocks(String base, String target, String prefix, int batchSize, Consumer<List<BlockRef>> sink) {
    Scan scan = storage.read(txn -> {
      Scan s = new Scan(txn, base, target, prefix);
      s.run();
      return s;
    });
    // Candidates: every block of the target's new or changed files, in walk order.
    Map<BlockId, Integer> candidates = new LinkedHashMap<>();
    Set<BlockId> seen = new HashSet<>();
    for (RootRef root : scan.newRoots) {
      trees.walk(root, seen, visitor("diffBlocks", (id, length) -> candidates.put(id, length)));
    }
    seen = null;
    // Excluded: what a file of the base under the prefix references (a block shared with an unchanged file,
    // an edit that restored earlier content). One file's tree at a time, so memory stays with the candidates.
    if (!candidates.isEmpty()) {
      for (RootRef root : scan.baseRoots.values()) {
        if (root.depth() == 0) {
          candidates.remove(root.block());
        } else {
          trees.walk(root, new HashSet<>(), visitor("diffBlocks (base)", (id, length) -> candidates.remove(id)));
        }
        if (candidates.isEmpty()) {
          break;
        }
      }
    }
    List<BlockRef> batch = new ArrayList<>(Math.min(batchSize, 1024));
    for (Map.Entry<BlockId, Integer> e : candidates.entrySet()) {
      batch.add(new BlockRef(e.getKey(), e.getValue()));
      if (batch.size() == batchSize) {
        sink.accept(List.copyOf(batch));
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      sink.accept(List.copyOf(batch));
    }
  }

  private interface Found {
    void block(BlockId id, int cipherLength);
  }

  private static BlockTrees.Visitor visitor(String what, Found found) {
    return new BlockTrees.Visitor() {
      @Override
      public void block(BlockId id, int cipherLength, int level) {
        found.block(id, cipherLength);
      }

      @Override
      public void missingIndex(BlockId id, int level) {
        log.warn("{}: index block {} is missing; its subtree is not listed (run fsck)", what, id.hex());
      }

      @Override
      public void corruptIndex(BlockId id, int level, OutpostException why) {
        log.warn("{}: {}; its subtree is not listed (run fsck)", what, why.getMessage());
      }
    };
  }

  /** One pass over two trees inside one read transaction. */
  private final class Scan {
    final ReadTxn txn;
    final Side a;
    final Side b;
    final boolean whole;
    final List<PathChange> changes = new ArrayList<>();
    /** Roots of the target's files under the prefix that the base does not have at the same inode. */
    final List<RootRef> newRoots = new ArrayList<>();
    /** Distinct roots of the base's files under the prefix, by root block. */
    final Map<BlockId, RootRef> baseRoots = new LinkedHashMap<>();
    /** Inodes whose entry (parent, name) is not the same in both trees. */
    final Set<Long> moved = new HashSet<>();

    Scan(ReadTxn txn, String base, String target, String prefix) {
      VolumePath.check(prefix);
      this.txn = txn;
      this.a = new Side(txn, snapshots.treeOf(txn, base), prefix);
      this.b = new Side(txn, snapshots.treeOf(txn, target), prefix);
      if (a.top.isEmpty() && b.top.isEmpty()) {
        throw new OutpostException(ErrorCode.NOT_FOUND, "no such file or directory in either tree: " + prefix);
      }
      this.whole = prefix.equals(VolumePath.ROOT);
    }

    void run() {
      join(txn, namespace.dirents, a.tree, b.tree, new EntryKey(0, Long.MIN_VALUE, ""), EntryKey::tree,
          (k, t) -> new EntryKey(t, k.parent(), k.name()), TreeDiff::compareEntries, (k, inA, inB) -> {
            if (!java.util.Objects.equals(inA, inB)) {
              if (inA != null) {
                moved.add(inA);
              }
              if (inB != null) {
                moved.add(inB);
              }
            }
          });
      join(txn, namespace.inodes, a.tree, b.tree, new NodeKey(0, Long.MIN_VALUE), NodeKey::tree,
          (k, t) -> new NodeKey(t, k.inode()), Comparator.comparingLong(NodeKey::inode),
          (k, inA, inB) -> inode(k.inode(), inA, inB));
    }

    private void inode(long inode, InodeRecord ra, InodeRecord rb) {
      boolean changed = ra == null || rb == null || moved.contains(inode) || !ra.equals(rb);
      if (!changed && whole) {
        if (ra.type() == FileType.FILE) {
          ra.root().ifPresent(r -> baseRoots.putIfAbsent(r.block(), r));
        }
        return;
      }
      boolean underA = ra != null && a.under(txn, inode);
      boolean underB = rb != null && b.under(txn, inode);
      if (underA && ra.type() == FileType.FILE) {
        ra.root().ifPresent(r -> baseRoots.putIfAbsent(r.block(), r));
      }
      if (underB && rb.type() == FileType.FILE && rb.root().isPresent()) {
        RootRef root = rb.root().get();
        if (!underA || ra.root().isEmpty() || !ra.root().get().block().equals(root.block())) {
          newRoots.add(root);
        }
      }
      if ((!changed && underA == underB) || (!underA && !underB)) {
        return; // unchanged, or moved with a directory above it and staying on the same side of the prefix
      }
      if (!underA) {
        changes.add(new PathChange(ChangeKind.CREATED, inode, rb.type(), b.path(txn, inode), ""));
        return;
      }
      if (!underB) {
        changes.add(new PathChange(ChangeKind.REMOVED, inode, ra.type(), a.path(txn, inode), ""));
        return;
      }
      String path = b.path(txn, inode);
      if (moved.contains(inode)) {
        changes.add(new PathChange(ChangeKind.RENAMED, inode, rb.type(), path, a.path(txn, inode)));
      }
      boolean file = rb.type() == FileType.FILE;
      if (file && (ra.size() != rb.size() || !sameRoot(ra.root(), rb.root()))) {
        changes.add(new PathChange(ChangeKind.MODIFIED, inode, rb.type(), path, ""));
      } else if (ra.mode() != rb.mode() || (file && ra.mtimeMillis() != rb.mtimeMillis())) {
        changes.add(new PathChange(ChangeKind.ATTRS, inode, rb.type(), path, ""));
      }
    }
  }

  private static boolean sameRoot(Optional<RootRef> x, Optional<RootRef> y) {
    return x.isPresent() == y.isPresent() && (x.isEmpty() || x.get().block().equals(y.get().block()));
  }

  /** One tree of the comparison: its prefix, and what has been learnt of its paths. */
  private final class Side {
    final long tree;
    /** The prefix's inode in this tree, if it exists here. */
    final Optional<Long> top;
    private final Map<Long, Boolean> dirUnder = new HashMap<>();
    private final Map<Long, String> dirPaths = new HashMap<>();
    private final Map<Long, Map<Long, String>> names = new HashMap<>();

    Side(ReadTxn txn, long tree, String prefix) {
      this.tree = tree;
      Optional<Long> found;
      try {
        found = Optional.of(namespace.resolve(txn, tree, prefix).inode());
      } catch (OutpostException e) {
        if (e.code() != ErrorCode.NOT_FOUND && e.code() != ErrorCode.NOT_A_DIRECTORY) {
          throw e;
        }
        found = Optional.empty();
      }
      this.top = found;
    }

    /** Whether {@code inode} is the prefix or lies below it in this tree. */
    boolean under(ReadTxn txn, long inode) {
      if (top.isEmpty()) {
        return false;
      }
      long prefixInode = top.get();
      if (prefixInode == Namespace.ROOT_INODE || inode == prefixInode) {
        return true;
      }
      List<Long> chain = new ArrayList<>();
      long at = namespace.record(txn, tree, inode, "inode " + inode).parent();
      Boolean answer = null;
      while (answer == null) {
        if (at == prefixInode) {
          answer = true;
        } else if (at == Namespace.ROOT_INODE) {
          answer = false;
        } else {
          answer = dirUnder.get(at);
          if (answer == null) {
            chain.add(at);
            at = namespace.record(txn, tree, at, "inode " + at).parent();
          }
        }
      }
      for (long dir : chain) {
        dirUnder.put(dir, answer);
      }
      return answer;
    }

    String path(ReadTxn txn, long inode) {
      if (inode == Namespace.ROOT_INODE) {
        return VolumePath.ROOT;
      }
      String known = dirPaths.get(inode);
      if (known != null) {
        return known;
      }
      InodeRecord rec = namespace.record(txn, tree, inode, "inode " + inode);
      String path = VolumePath.join(path(txn, rec.parent()), name(txn, rec.parent(), inode));
      if (rec.isDirectory()) {
        dirPaths.put(inode, path);
      }
      return path;
    }

    private String name(ReadTxn txn, long parent, long child) {
      Map<Long, String> children = names.computeIfAbsent(parent, p -> {
        Map<Long, String> m = new HashMap<>();
        namespace.dirents.scanPrefix(txn, TableCodecs.NODE_KEY, new NodeKey(tree, p), Table.Direction.FORWARD,
            (k, c) -> {
              m.put(c, k.name());
              return true;
            });
        return m;
      });
      String name = children.get(child);
      if (name == null) {
        throw new OutpostException(ErrorCode.INTERNAL, "volume metadata inconsistent: inode " + child
            + " is not an entry of its parent " + parent + " (run fsck)");
      }
      return name;
    }
  }

  /** Sees one key of either tree: the key in tree 0's form, the value in each tree (null if absent there). */
  private interface JoinVisitor<K, V> {
    void visit(K key, V inA, V inB);
  }

  /**
   * Visits the keys of trees {@code treeA} and {@code treeB} of {@code table} side by side: every key present in
   * either, once, with both values. Chunks of {@value #CHUNK} keys of A; the B keys in the same key range are
   * streamed against the chunk, so memory is one chunk however the trees differ.
   *
   * @param first the smallest key, in tree 0's form
   * @param order the order of the keys' encoding, ignoring the tree
   */
  private <K, V> void join(ReadTxn txn, Table<K, V> table, long treeA, long treeB, K first,
      java.util.function.ToLongFunction<K> treeOf, java.util.function.BiFunction<K, Long, K> inTree,
      Comparator<K> order, JoinVisitor<K, V> visitor) {
    K start = first;
    K after = null;
    while (true) {
      Map<K, V> keys = new LinkedHashMap<>();
      K lowerBound = after;
      table.scanFrom(txn, inTree.apply(start, treeA), Table.Direction.FORWARD, (k, val) -> {
        if (treeOf.applyAsLong(k) != treeA) {
          return false;
        }
        K z = inTree.apply(k, 0L);
        if (lowerBound != null && order.compare(z, lowerBound) <= 0) {
          return true;
        }
        keys.put(z, val);
        return keys.size() < chunk;
      });
      K end = keys.size() < chunk ? null : lastKey(keys);
      table.scanFrom(txn, inTree.apply(start, treeB), Table.Direction.FORWARD, (k, val) -> {
        if (treeOf.applyAsLong(k) != treeB) {
          return false;
        }
        K z = inTree.apply(k, 0L);
        if (lowerBound != null && order.compare(z, lowerBound) <= 0) {
          return true;
        }
        if (end != null && order.compare(z, end) > 0) {
          return false;
        }
        visitor.visit(z, keys.remove(z), val);
        return true;
      });
      keys.forEach((z, val) -> visitor.visit(z, val, null));
      if (end == null) {
        return;
      }
      start = end;
      after = end;
    }
  }

  private static <K> K lastKey(Map<K, ?> chunk) {
    K last = null;
    for (K k : chunk.keySet()) {
      last = k;
    }
    return last;
  }

  /** Directory entries in their stored order: parent, then the name's UTF-8 bytes. */
  private static int compareEntries(EntryKey x, EntryKey y) {
    int c = Long.compare(x.parent(), y.parent());
    if (c != 0) {
      return c;
    }
    return Arrays.compareUnsigned(Utf8.encode(x.name()), Utf8.encode(y.name()));
  }
}
