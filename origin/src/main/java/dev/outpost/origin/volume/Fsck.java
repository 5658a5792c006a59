package dev.outpost.origin.volume;

import dev.outpost.core.BlockId;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.core.VolumePath;
import dev.outpost.crypto.BlockIds;
import dev.outpost.origin.volume.TableCodecs.EntryKey;
import dev.outpost.origin.volume.TableCodecs.NodeKey;
import dev.outpost.protocol.FileType;
import dev.outpost.store.BlockStoreStats;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.Table;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks every invariant of an {@link LmdbVolume} and describes each violation in one line. Each tree
 * (live and every snapshot) is checked inside one read transaction; blocks are checked afterwards, each in
 * its own short one. Memory: one tree's inodes at a time, plus one id per referenced block.
 */
final class Fsck {
  /** Lines reported at most; a badly broken volume would otherwise produce one line per file. */
  static final int MAX_PROBLEMS = 1000;

  /** A root to check and who references it, for the message. */
  private record Referenced(RootRef root, String owner) {}

  private final LmdbStorage storage;
  private final VolumeMeta meta;
  private final Journal journal;
  private final Namespace namespace;
  private final Snapshots snapshots;
  private final Blocks blocks;
  private final AppliedOperations applied;
  private final List<String> problems = new ArrayList<>();
  private long suppressed;

  Fsck(LmdbStorage storage, VolumeMeta meta, Journal journal, Namespace namespace, Snapshots snapshots,
      Blocks blocks, AppliedOperations applied) {
    this.storage = storage;
    this.meta = meta;
    this.journal = journal;
    this.namespace = namespace;
    this.snapshots = snapshots;
    this.blocks = blocks;
    this.applied = applied;
  }

  List<String> run() {
    Map<BlockId, Referenced> roots = new LinkedHashMap<>();
    Map<Long, String> treeNames = storage.read(txn -> {
      Map<Long, String> names = new LinkedHashMap<>();
      names.put(Namespace.LIVE_TREE, "live tree");
      long nextTree = meta.get(txn, VolumeMeta.NEXT_TREE);
      snapshots.table.scan(txn, Table.Direction.FORWARD, (name, s) -> {
        if (s.tree() <= Namespace.LIVE_TREE || s.tree() >= nextTree) {
          report("snapshot '" + name + "' has tree number " + s.tree() + " outside 1.." + (nextTree - 1));
        } else if (names.putIfAbsent(s.tree(), "snapshot '" + name + "'") != null) {
          report("snapshot '" + name + "' shares tree number " + s.tree() + " with " + names.get(s.tree()));
        }
        return true;
      });
      journal.check(txn, this::report);
      checkOrphanTrees(txn, names);
      applied.check(txn, this::report);
      namespace.reservations.check(txn, meta.get(txn, VolumeMeta.NEXT_INODE), this::report);
      return names;
    });
    long nextInode = storage.read(txn -> meta.get(txn, VolumeMeta.NEXT_INODE));
    for (Map.Entry<Long, String> tree : treeNames.entrySet()) {
      storage.read(txn -> {
        checkTree(txn, tree.getKey(), tree.getValue(), nextInode, roots);
        return null;
      });
    }
    checkReferencedBlocks(roots);
    checkBlockStore();
    if (suppressed > 0) {
      problems.add("... and " + suppressed + " more problems");
    }
    return List.copyOf(problems);
  }

  private void checkTree(ReadTxn txn, long tree, String label, long nextInode, Map<BlockId, Referenced> roots) {
    Map<Long, InodeRecord> nodes = new HashMap<>();
    namespace.inodes.scanPrefix(txn, Codecs.SORTABLE_LONG, tree, Table.Direction.FORWARD, (k, rec) -> {
      nodes.put(k.inode(), rec);
      return true;
    });
    InodeRecord root = nodes.get(Namespace.ROOT_INODE);
    if (root == null) {
      report(label + ": the root directory (inode 1) is missing");
    } else if (root.type() != FileType.DIRECTORY) {
      report(label + ": the root (inode 1) is a " + root.type() + ", not a directory");
    }
    Map<Long, List<Long>> children = new HashMap<>();
    Map<Long, String> linkedFrom = new HashMap<>();
    namespace.dirents.scanPrefix(txn, Codecs.SORTABLE_LONG, tree, Table.Direction.FORWARD, (k, child) -> {
      String where = label + ": entry '" + k.name() + "' in inode " + k.parent();
      try {
        VolumePath.checkName(k.name());
      } catch (OutpostException e) {
        report(where + " has a bad name: " + e.getMessage());
      }
      InodeRecord parent = nodes.get(k.parent());
      if (parent == null) {
        report(where + ": the parent inode does not exist");
      } else if (parent.type() != FileType.DIRECTORY) {
        report(where + ": the parent is a " + parent.type() + ", not a directory");
      }
      InodeRecord target = nodes.get(child);
      if (target == null) {
        report(where + " points to missing inode " + child);
      } else if (target.parent() != k.parent()) {
        report(where + " points to inode " + child + " whose parent is " + target.parent());
      }
      if (child == Namespace.ROOT_INODE) {
        report(where + " links the root directory");
      }
      String earlier = linkedFrom.putIfAbsent(child, where);
      if (earlier != null) {
        report(where + " and " + earlier + " both link inode " + child);
      }
      children.computeIfAbsent(k.parent(), p -> new ArrayList<>()).add(child);
      return true;
    });
    Set<Long> reached = new HashSet<>();
    Deque<Long> todo = new ArrayDeque<>();
    if (root != null) {
      reached.add(Namespace.ROOT_INODE);
      todo.push(Namespace.ROOT_INODE);
    }
    while (!todo.isEmpty()) {
      for (long child : children.getOrDefault(todo.pop(), List.of())) {
        if (nodes.containsKey(child) && reached.add(child)) {
          todo.push(child);
        }
      }
    }
    for (Map.Entry<Long, InodeRecord> e : nodes.entrySet()) {
      long inode = e.getKey();
      InodeRecord rec = e.getValue();
      if (!reached.contains(inode)) {
        report(label + ": inode " + inode + " (" + rec.type() + ") is not reachable from the root");
      }
      if (inode >= nextInode) {
        report(label + ": inode " + inode + " is not below the next inode number " + nextInode);
      }
      if (rec.version() < 1) {
        report(label + ": inode " + inode + " has version " + rec.version());
      }
      try {
        rec.toAttr(inode);
      } catch (OutpostException e2) {
        report(label + ": inode " + inode + " has invalid attributes: " + e2.getMessage());
      }
      if (rec.root().isPresent() != (rec.type() == FileType.FILE && rec.size() > 0)) {
        report(label + ": inode " + inode + " (" + rec.type() + ", " + rec.size() + " bytes) "
            + (rec.root().isPresent() ? "has a root it should not have" : "lacks a root"));
      }
      rec.root().ifPresent(r -> roots.putIfAbsent(r.block(), new Referenced(r, label + " inode " + inode)));
    }
  }

  /** Tree-scoped rows whose tree is neither live nor a snapshot: leftovers nobody reads or deletes. */
  private void checkOrphanTrees(ReadTxn txn, Map<Long, String> known) {
    for (Table<?, ?> table : List.of(namespace.inodes, namespace.dirents)) {
      long tree = Long.MIN_VALUE;
      while (true) {
        long[] found = {0};
        boolean[] any = {false};
        if (table == namespace.inodes) {
          namespace.inodes.scanFrom(txn, new NodeKey(tree, Long.MIN_VALUE), Table.Direction.FORWARD, (k, val) -> {
            found[0] = k.tree();
            any[0] = true;
            return false;
          });
        } else {
          namespace.dirents.scanFrom(txn, new EntryKey(tree, Long.MIN_VALUE, ""), Table.Direction.FORWARD, (k, val) -> {
            found[0] = k.tree();
            any[0] = true;
            return false;
          });
        }
        if (!any[0]) {
          break;
        }
        if (!known.containsKey(found[0])) {
          report("table " + table.name() + " holds rows of tree " + found[0] + ", which is no snapshot");
        }
        if (found[0] == Long.MAX_VALUE) {
          break;
        }
        tree = found[0] + 1;
      }
    }
  }

  private void checkReferencedBlocks(Map<BlockId, Referenced> roots) {
    Set<BlockId> seen = new HashSet<>();
    for (Referenced r : roots.values()) {
      String owner = r.owner();
      List<BlockId> data = new ArrayList<>();
      blocks.trees.walk(r.root(), seen, new BlockTrees.Visitor() {
        @Override
        public void block(BlockId id, int cipherLength, int level) {
          if (level == 0) {
            data.add(id);
          }
        }

        @Override
        public void missingIndex(BlockId id, int level) {
          report("index block " + id.hex() + " (level " + level + ", under " + owner + ") is missing");
        }

        @Override
        public void corruptIndex(BlockId id, int level, OutpostException why) {
          report(why.getMessage() + " (under " + owner + ")");
        }
      });
      List<BlockId> absent = storage.read(txn -> {
        List<BlockId> out = new ArrayList<>();
        for (BlockId id : data) {
          if (!blocks.store.contains(txn, id)) {
            out.add(id);
          }
        }
        return out;
      });
      for (BlockId id : absent) {
        report("data block " + id.hex() + " (under " + owner + ") is missing");
      }
    }
  }

  private void checkBlockStore() {
    long[] counted = {0, 0};
    List<BlockId> ids = new ArrayList<>();
    blocks.store.forEachId((id, length) -> {
      counted[0]++;
      counted[1] += length;
      ids.add(id);
    });
    BlockStoreStats stats = blocks.store.stats();
    if (stats.count() != counted[0] || stats.bytes() != counted[1]) {
      report("block store counters say " + stats.count() + " blocks, " + stats.bytes() + " bytes; a scan finds "
          + counted[0] + " blocks, " + counted[1] + " bytes");
    }
    for (BlockId id : ids) {
      blocks.store.withBlock(id, cipher -> {
        BlockId actual = BlockIds.of(cipher);
        if (!actual.equals(id)) {
          report("block " + id.hex() + " hashes to " + actual.hex());
        }
        return null;
      });
    }
    storage.read(txn -> {
      blocks.touches.scan(txn, Table.Direction.FORWARD, (id, at) -> {
        if (!blocks.store.contains(txn, id)) {
          report("block-touch row for absent block " + id.hex());
        }
        return true;
      });
      return null;
    });
  }

  private void report(String problem) {
    if (problems.size() < MAX_PROBLEMS) {
      problems.add(problem);
    } else {
      suppressed++;
    }
  }
}
