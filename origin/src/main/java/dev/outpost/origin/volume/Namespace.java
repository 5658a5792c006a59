package dev.outpost.origin.volume;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.core.Utf8;
import dev.outpost.core.VolumePath;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.origin.volume.TableCodecs.EntryKey;
import dev.outpost.origin.volume.TableCodecs.NodeKey;
import dev.outpost.origin.volume.Volume.Mutation;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.ReserveInodes;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.Table;
import dev.outpost.store.WriteTxn;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The directory tree: tables {@code inodes} ((tree, inode) → {@link InodeRecord}) and {@code dirents}
 * ((tree, parent, name) → child inode; names in UTF-8 byte order, which is readdir order), and the counter
 * {@code next-inode}, with the numbers reserved ahead for originators ({@link InodeReservations}). Tree 0 is
 * the live tree, each snapshot has its own number ({@link Snapshots}); reads take a tree, mutations change the
 * live tree only.
 *
 * <p>A directory whose entries change gets a new version and mtime but no journal entry of its own:
 * subscribers treat a CREATED, REMOVED or RENAMED entry as a change of the parent directory (of both parents
 * for RENAMED).
 *
 * <p>Thread-safe: reads take the caller's transaction; mutations run through the {@link Writer}.
 */
final class Namespace {
  /** The root directory's inode. */
  static final long ROOT_INODE = 1;
  static final long LIVE_TREE = 0;
  private static final int COPY_CHUNK = 4096;

  /** An inode and its record, as resolved in one transaction. */
  record Node(long inode, InodeRecord record) {
    FileAttr attr() {
      return record.toAttr(inode);
    }
  }

  final Table<NodeKey, InodeRecord> inodes;
  final Table<EntryKey, Long> dirents;
  final InodeReservations reservations;
  private final LmdbStorage storage;
  private final VolumeMeta meta;
  private final Writer writer;

  Namespace(LmdbStorage storage, VolumeMeta meta, Writer writer) {
    this.inodes = storage.table("inodes", TableCodecs.NODE_KEY, TableCodecs.INODE);
    this.dirents = storage.table("dirents", TableCodecs.ENTRY_KEY, Codecs.LONG);
    this.reservations = new InodeReservations(storage);
    this.storage = storage;
    this.meta = meta;
    this.writer = writer;
  }

  /** A fresh volume's tree: the root directory alone. */
  void initialise(WriteTxn txn, long createdAtMillis) {
    meta.put(txn, VolumeMeta.NEXT_INODE, ROOT_INODE + 1);
    inodes.put(txn, new NodeKey(LIVE_TREE, ROOT_INODE), new InodeRecord(FileType.DIRECTORY, 0755, 0,
        createdAtMillis, 1, Optional.empty(), "", ROOT_INODE));
  }

  // ---------------------------------------------------------------------------------------------------
  // reads

  FileAttr lookup(ReadTxn txn, long tree, long parentInode, String name) {
    InodeRecord parent = inodes.get(txn, new NodeKey(tree, parentInode))
        .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND, "no inode " + parentInode));
    if (!parent.isDirectory()) {
      throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "inode " + parentInode + " is not a directory");
    }
    long child = dirents.get(txn, new EntryKey(tree, parentInode, name))
        .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND,
            "no entry '" + name + "' in directory inode " + parentInode));
    return record(txn, tree, child, name).toAttr(child);
  }

  static void checkReadDir(String path, String startAfter, int maxEntries) {
    VolumePath.check(path);
    Objects.requireNonNull(startAfter, "startAfter");
    if (!startAfter.isEmpty()) {
      VolumePath.checkName(startAfter);
    }
    if (maxEntries < 1 || maxEntries > ReadDir.MAX_ENTRIES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "maxEntries " + maxEntries + " outside 1.." + ReadDir.MAX_ENTRIES);
    }
  }

  DirPage readDir(ReadTxn txn, long tree, String path, String startAfter, int maxEntries) {
    Node dir = resolve(txn, tree, path);
    if (!dir.record().isDirectory()) {
      throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + path);
    }
    List<Map.Entry<String, Long>> names = new ArrayList<>(Math.min(maxEntries + 1, 256));
    // The cursor is a name, not an offset: entries added or removed before it do not shift the page.
    dirents.scanFrom(txn, new EntryKey(tree, dir.inode(), startAfter), Table.Direction.FORWARD, (k, child) -> {
      if (k.tree() != tree || k.parent() != dir.inode()) {
        return false;
      }
      if (k.name().equals(startAfter)) {
        return true;
      }
      names.add(Map.entry(k.name(), child));
      return names.size() <= maxEntries;
    });
    boolean more = names.size() > maxEntries;
    List<DirEntry> entries = new ArrayList<>(Math.min(names.size(), maxEntries));
    for (int i = 0; i < names.size() && i < maxEntries; i++) {
      Map.Entry<String, Long> e = names.get(i);
      entries.add(new DirEntry(e.getKey(), record(txn, tree, e.getValue(), e.getKey()).toAttr(e.getValue())));
    }
    return new DirPage(entries, more);
  }

  String readLink(ReadTxn txn, long tree, String path) {
    Node n = resolve(txn, tree, path);
    if (n.record().type() != FileType.SYMLINK) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "not a symlink: " + path);
    }
    return n.record().linkTarget();
  }

  // ---------------------------------------------------------------------------------------------------
  // mutations

  Mutation<FileAttr> create(OperationId op, String path, int mode, boolean exclusive, long inode, long nowMillis) {
    VolumePath.check(path);
    checkRequestedInode(op, inode);
    checkMode(mode);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(exclusive ? ErrorCode.ALREADY_EXISTS : ErrorCode.IS_A_DIRECTORY,
          "the root directory exists");
    }
    return writer.attr(op, Create.class, nowMillis, c -> {
      Node parent = resolveDirectory(c.txn(), VolumePath.parent(path), path);
      String name = VolumePath.name(path);
      Optional<Long> existing = dirents.get(c.txn(), new EntryKey(LIVE_TREE, parent.inode(), name));
      if (existing.isPresent()) {
        InodeRecord rec = record(c.txn(), LIVE_TREE, existing.get(), path);
        if (exclusive) {
          throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists: " + path);
        }
        if (rec.isDirectory()) {
          throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "is a directory: " + path);
        }
        if (rec.type() != FileType.FILE) {
          throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists as a " + rec.type() + ": " + path);
        }
        return rec.toAttr(existing.get());
      }
      InodeRecord rec = new InodeRecord(FileType.FILE, mode, 0, nowMillis, 1, Optional.empty(), "", parent.inode());
      return add(c, parent, name, rec, path, inodeFor(c, op, inode, nowMillis), nowMillis);
    });
  }

  Mutation<FileAttr> mkdir(OperationId op, String path, int mode, long inode, long nowMillis) {
    VolumePath.check(path);
    checkRequestedInode(op, inode);
    checkMode(mode);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.ALREADY_EXISTS, "the root directory exists");
    }
    return writer.attr(op, Mkdir.class, nowMillis, c -> {
      Node parent = resolveDirectory(c.txn(), VolumePath.parent(path), path);
      String name = VolumePath.name(path);
      if (dirents.contains(c.txn(), new EntryKey(LIVE_TREE, parent.inode(), name))) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists: " + path);
      }
      InodeRecord rec = new InodeRecord(FileType.DIRECTORY, mode, 0, nowMillis, 1, Optional.empty(), "",
          parent.inode());
      return add(c, parent, name, rec, path, inodeFor(c, op, inode, nowMillis), nowMillis);
    });
  }

  Mutation<FileAttr> symlink(OperationId op, String path, String target, long inode, long nowMillis) {
    VolumePath.check(path);
    checkRequestedInode(op, inode);
    int targetBytes = checkLinkTarget(target);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.ALREADY_EXISTS, "the root directory exists");
    }
    return writer.attr(op, Symlink.class, nowMillis, c -> {
      Node parent = resolveDirectory(c.txn(), VolumePath.parent(path), path);
      String name = VolumePath.name(path);
      if (dirents.contains(c.txn(), new EntryKey(LIVE_TREE, parent.inode(), name))) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists: " + path);
      }
      InodeRecord rec = new InodeRecord(FileType.SYMLINK, 0777, targetBytes, nowMillis, 1, Optional.empty(), target,
          parent.inode());
      return add(c, parent, name, rec, path, inodeFor(c, op, inode, nowMillis), nowMillis);
    });
  }

  Mutation<Void> unlink(OperationId op, String path, long nowMillis) {
    VolumePath.check(path);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot unlink the root directory");
    }
    return writer.ok(op, Unlink.class, nowMillis, c -> {
      Node node = resolve(c.txn(), LIVE_TREE, path);
      if (node.record().isDirectory()) {
        throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "is a directory (use rmdir): " + path);
      }
      remove(c, node, path, nowMillis);
      return null;
    });
  }

  Mutation<Void> rmdir(OperationId op, String path, long nowMillis) {
    VolumePath.check(path);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot remove the root directory");
    }
    return writer.ok(op, Rmdir.class, nowMillis, c -> {
      Node node = resolve(c.txn(), LIVE_TREE, path);
      if (!node.record().isDirectory()) {
        throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + path);
      }
      if (hasEntries(c.txn(), LIVE_TREE, node.inode())) {
        throw new OutpostException(ErrorCode.DIRECTORY_NOT_EMPTY, "directory not empty: " + path);
      }
      remove(c, node, path, nowMillis);
      return null;
    });
  }

  Mutation<Void> rename(OperationId op, String from, String to, long nowMillis) {
    VolumePath.check(from);
    VolumePath.check(to);
    if (from.equals(VolumePath.ROOT) || to.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot rename to or from the root directory");
    }
    return writer.ok(op, Rename.class, nowMillis, c -> {
      WriteTxn txn = c.txn();
      Node source = resolve(txn, LIVE_TREE, from);
      if (source.record().isDirectory() && !from.equals(to) && VolumePath.isUnder(to, from)) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot move " + from + " into its own subtree " + to);
      }
      Node sourceParent = resolve(txn, LIVE_TREE, VolumePath.parent(from));
      Node targetParent = resolveDirectory(txn, VolumePath.parent(to), to);
      if (from.equals(to)) {
        return null;
      }
      String toName = VolumePath.name(to);
      EntryKey targetKey = new EntryKey(LIVE_TREE, targetParent.inode(), toName);
      Optional<Long> existing = dirents.get(txn, targetKey);
      if (existing.isPresent()) {
        Node replaced = new Node(existing.get(), record(txn, LIVE_TREE, existing.get(), to));
        if (source.record().isDirectory()) {
          if (!replaced.record().isDirectory()) {
            throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "cannot replace non-directory " + to
                + " with directory " + from);
          }
          if (hasEntries(txn, LIVE_TREE, replaced.inode())) {
            throw new OutpostException(ErrorCode.DIRECTORY_NOT_EMPTY, "directory not empty: " + to);
          }
        } else if (replaced.record().isDirectory()) {
          throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot replace directory " + to + " with " + from);
        }
        inodes.delete(txn, new NodeKey(LIVE_TREE, replaced.inode()));
        c.emit(replaced.inode(), to, "", replaced.record().version(), ChangeKind.REMOVED);
      }
      dirents.delete(txn, new EntryKey(LIVE_TREE, sourceParent.inode(), VolumePath.name(from)));
      dirents.put(txn, targetKey, source.inode());
      if (source.record().parent() != targetParent.inode()) {
        inodes.put(txn, new NodeKey(LIVE_TREE, source.inode()), source.record().withParent(targetParent.inode()));
      }
      touchDirectory(c, sourceParent, nowMillis);
      if (targetParent.inode() != sourceParent.inode()) {
        touchDirectory(c, targetParent, nowMillis);
      }
      c.emit(source.inode(), to, from, source.record().version(), ChangeKind.RENAMED);
      return null;
    });
  }

  Mutation<FileAttr> setAttr(OperationId op, String path, OptionalInt mode, OptionalLong mtimeMillis,
      OptionalLong size, long nowMillis) {
    VolumePath.check(path);
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(mtimeMillis, "mtimeMillis");
    Objects.requireNonNull(size, "size");
    mode.ifPresent(Namespace::checkMode);
    size.ifPresent(s -> BlockFormat.checkFileSize(path, s));
    if (size.isPresent() && size.getAsLong() != 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "setAttr only truncates to size 0 (got " + size.getAsLong() + "); other sizes are written by a commit");
    }
    return writer.attr(op, SetAttr.class, nowMillis, c -> {
      Node node = resolve(c.txn(), LIVE_TREE, path);
      InodeRecord rec = node.record();
      if (mode.isEmpty() && mtimeMillis.isEmpty() && size.isEmpty()) {
        return node.attr();
      }
      if (size.isPresent()) {
        if (rec.isDirectory()) {
          throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot truncate a directory: " + path);
        }
        if (rec.type() != FileType.FILE) {
          throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot truncate a " + rec.type() + ": " + path);
        }
      }
      int newMode = mode.orElse(rec.mode());
      long newMtime = mtimeMillis.orElse(size.isPresent() ? nowMillis : rec.mtimeMillis());
      InodeRecord updated = size.isPresent()
          ? new InodeRecord(rec.type(), newMode, 0, newMtime, rec.version() + 1, Optional.empty(), rec.linkTarget(),
              rec.parent())
          : rec.withAttrs(newMode, newMtime);
      inodes.put(c.txn(), new NodeKey(LIVE_TREE, node.inode()), updated);
      c.emit(node.inode(), path, "", updated.version(), size.isPresent() ? ChangeKind.MODIFIED : ChangeKind.ATTRS);
      return updated.toAttr(node.inode());
    });
  }

  /**
   * Reserves {@code count} inode numbers for {@code originator}, taken from the inode counter in one write.
   */
  InodeRange reserveInodes(long originator, int count, long nowMillis) {
    if (originator == 0 || count < 1 || count > ReserveInodes.MAX_COUNT) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "reserve 1.." + ReserveInodes.MAX_COUNT
          + " inodes for a non-zero originator, not " + count + " for " + Long.toHexString(originator));
    }
    return storage.write(txn -> {
      long first = meta.get(txn, VolumeMeta.NEXT_INODE);
      InodeRange range = reservations.reserve(txn, originator, first, count, nowMillis);
      meta.put(txn, VolumeMeta.NEXT_INODE, range.end());
      return range;
    });
  }

  /** A number from the inode counter. */
  long nextInode(Change c) {
    long inode = meta.get(c.txn(), VolumeMeta.NEXT_INODE);
    meta.put(c.txn(), VolumeMeta.NEXT_INODE, inode + 1);
    return inode;
  }

  /** {@code requested} claimed from {@code op}'s originator's reservations, or the next number if 0. */
  private long inodeFor(Change c, OperationId op, long requested, long nowMillis) {
    if (requested == 0) {
      return nextInode(c);
    }
    reservations.claim(c.txn(), op.originator(), requested, nowMillis);
    if (inodes.contains(c.txn(), new NodeKey(LIVE_TREE, requested))) {
      throw new OutpostException(ErrorCode.INTERNAL, "reserved inode " + requested + " is in use (run fsck)");
    }
    return requested;
  }

  /** Links the new inode {@code inode} under {@code parent}; returns its attributes. */
  FileAttr add(Change c, Node parent, String name, InodeRecord rec, String path, long inode, long nowMillis) {
    WriteTxn txn = c.txn();
    inodes.put(txn, new NodeKey(LIVE_TREE, inode), rec);
    dirents.put(txn, new EntryKey(LIVE_TREE, parent.inode(), name), inode);
    touchDirectory(c, parent, nowMillis);
    c.emit(inode, path, "", rec.version(), ChangeKind.CREATED);
    return rec.toAttr(inode);
  }

  /** A file's new content: the next version, journalled as MODIFIED. */
  FileAttr replaceContent(Change c, Node node, String path, Optional<RootRef> root, long size, long mtimeMillis) {
    InodeRecord updated = node.record().withContent(root, size, mtimeMillis);
    inodes.put(c.txn(), new NodeKey(LIVE_TREE, node.inode()), updated);
    c.emit(node.inode(), path, "", updated.version(), ChangeKind.MODIFIED);
    return updated.toAttr(node.inode());
  }

  private void remove(Change c, Node node, String path, long nowMillis) {
    WriteTxn txn = c.txn();
    Node parent = new Node(node.record().parent(), record(txn, LIVE_TREE, node.record().parent(), path));
    dirents.delete(txn, new EntryKey(LIVE_TREE, parent.inode(), VolumePath.name(path)));
    inodes.delete(txn, new NodeKey(LIVE_TREE, node.inode()));
    touchDirectory(c, parent, nowMillis);
    c.emit(node.inode(), path, "", node.record().version(), ChangeKind.REMOVED);
  }

  /** A directory whose entries changed: next version, mtime now. */
  private void touchDirectory(Change c, Node dir, long nowMillis) {
    InodeRecord current = record(c.txn(), LIVE_TREE, dir.inode(), "inode " + dir.inode());
    inodes.put(c.txn(), new NodeKey(LIVE_TREE, dir.inode()), current.touched(nowMillis));
  }

  // ---------------------------------------------------------------------------------------------------
  // tree access

  /**
   * Walks {@code path} from the root.
   *
   * @throws OutpostException NOT_FOUND for a missing component, NOT_A_DIRECTORY for a non-directory on the
   *     way (symlinks are not followed: clients resolve them)
   */
  Node resolve(ReadTxn txn, long tree, String path) {
    long inode = ROOT_INODE;
    StringBuilder walked = new StringBuilder();
    for (String name : VolumePath.components(path)) {
      Optional<Long> next = dirents.get(txn, new EntryKey(tree, inode, name));
      if (next.isEmpty()) {
        InodeRecord at = record(txn, tree, inode, path);
        if (!at.isDirectory()) {
          throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + walked + " (in " + path + ")");
        }
        throw new OutpostException(ErrorCode.NOT_FOUND, "no such file or directory: " + path);
      }
      inode = next.get();
      walked.append('/').append(name);
    }
    return new Node(inode, record(txn, tree, inode, path));
  }

  /** The live directory {@code dir}; NOT_A_DIRECTORY (naming {@code forPath}) if it is something else. */
  Node resolveDirectory(ReadTxn txn, String dir, String forPath) {
    Node n = resolve(txn, LIVE_TREE, dir);
    if (!n.record().isDirectory()) {
      throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + dir + " (in " + forPath + ")");
    }
    return n;
  }

  /** The live entry {@code name} in {@code parent}, if there is one. */
  Optional<Node> child(ReadTxn txn, Node parent, String name, String forPath) {
    return dirents.get(txn, new EntryKey(LIVE_TREE, parent.inode(), name))
        .map(inode -> new Node(inode, record(txn, LIVE_TREE, inode, forPath)));
  }

  InodeRecord record(ReadTxn txn, long tree, long inode, String forPath) {
    return inodes.get(txn, new NodeKey(tree, inode)).orElseThrow(() -> new OutpostException(ErrorCode.INTERNAL,
        "volume metadata inconsistent: inode " + inode + " of " + forPath + " is missing (run fsck)"));
  }

  boolean hasEntries(ReadTxn txn, long tree, long dir) {
    boolean[] any = {false};
    dirents.scanPrefix(txn, TableCodecs.NODE_KEY, new NodeKey(tree, dir), Table.Direction.FORWARD, (k, v) -> {
      any[0] = true;
      return false;
    });
    return any[0];
  }

  /** The roots of every file under {@code prefix} in {@code tree} (memory O(files under it)). */
  List<RootRef> rootsUnder(ReadTxn txn, long tree, String prefix) {
    List<RootRef> found = new ArrayList<>();
    forEachUnder(txn, tree, resolve(txn, tree, prefix), (inode, rec) -> rec.root().ifPresent(found::add));
    return found;
  }

  /** Every root of every tree (live and snapshots), repeats included. */
  void forEachRoot(ReadTxn txn, Consumer<RootRef> visitor) {
    inodes.scan(txn, Table.Direction.FORWARD, (k, rec) -> {
      rec.root().ifPresent(visitor);
      return true;
    });
  }

  /** Visits {@code top} and everything below it, depth first. */
  private void forEachUnder(ReadTxn txn, long tree, Node top, BiConsumer<Long, InodeRecord> visitor) {
    Deque<Long> dirs = new ArrayDeque<>();
    visitor.accept(top.inode(), top.record());
    if (top.record().isDirectory()) {
      dirs.push(top.inode());
    }
    List<Long> children = new ArrayList<>();
    while (!dirs.isEmpty()) {
      long dir = dirs.pop();
      children.clear();
      dirents.scanPrefix(txn, TableCodecs.NODE_KEY, new NodeKey(tree, dir), Table.Direction.FORWARD, (k, child) -> {
        children.add(child);
        return true;
      });
      for (long child : children) {
        InodeRecord rec = record(txn, tree, child, "inode " + child);
        visitor.accept(child, rec);
        if (rec.isDirectory()) {
          dirs.push(child);
        }
      }
    }
  }

  /** Copies the live tree's every inode and entry under tree number {@code tree} (a snapshot). */
  void copyLiveTree(WriteTxn txn, long tree) {
    copyRange(txn, inodes, new NodeKey(LIVE_TREE, Long.MIN_VALUE), k -> k.tree() == LIVE_TREE,
        k -> new NodeKey(tree, k.inode()));
    copyRange(txn, dirents, new EntryKey(LIVE_TREE, Long.MIN_VALUE, ""), k -> k.tree() == LIVE_TREE,
        k -> new EntryKey(tree, k.parent(), k.name()));
  }

  /** Deletes every inode and entry of {@code tree}. */
  void deleteTree(WriteTxn txn, long tree) {
    deleteRange(txn, inodes, new NodeKey(tree, Long.MIN_VALUE), k -> k.tree() == tree);
    deleteRange(txn, dirents, new EntryKey(tree, Long.MIN_VALUE, ""), k -> k.tree() == tree);
  }

  /** Copies every entry from {@code start} while {@code inRange} holds to {@code target(key)}, in chunks. */
  private static <K, V> void copyRange(WriteTxn txn, Table<K, V> table, K start, Predicate<K> inRange,
      UnaryOperator<K> target) {
    K from = start;
    while (true) {
      List<Table.Entry<K, V>> chunk = new ArrayList<>();
      K resumeAfter = from == start ? null : from;
      // Scan first, write after: a table must not change under its own cursor.
      table.scanFrom(txn, from, Table.Direction.FORWARD, (k, v) -> {
        if (!inRange.test(k)) {
          return false;
        }
        if (resumeAfter != null && k.equals(resumeAfter)) {
          return true;
        }
        chunk.add(new Table.Entry<>(k, v));
        return chunk.size() < COPY_CHUNK;
      });
      for (Table.Entry<K, V> e : chunk) {
        table.put(txn, target.apply(e.key()), e.value());
      }
      if (chunk.size() < COPY_CHUNK) {
        return;
      }
      from = chunk.getLast().key();
    }
  }

  private static <K, V> void deleteRange(WriteTxn txn, Table<K, V> table, K start, Predicate<K> inRange) {
    while (true) {
      List<K> chunk = new ArrayList<>();
      table.scanFrom(txn, start, Table.Direction.FORWARD, (k, v) -> {
        if (!inRange.test(k)) {
          return false;
        }
        chunk.add(k);
        return chunk.size() < COPY_CHUNK;
      });
      for (K k : chunk) {
        table.delete(txn, k);
      }
      if (chunk.size() < COPY_CHUNK) {
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // argument checks

  private static void checkRequestedInode(OperationId op, long inode) {
    if (inode < 0 || (inode != 0 && op.isNone())) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "a requested inode must be 0 or reserved for the operation's originator, got " + inode + " with " + op);
    }
  }

  private static void checkMode(int mode) {
    if (mode < 0 || mode > 07777) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "mode " + Integer.toOctalString(mode) + " outside 0..07777");
    }
  }

  /** Returns the target's UTF-8 length. */
  private static int checkLinkTarget(String target) {
    if (target == null || target.isEmpty() || target.indexOf('\0') >= 0) {
      throw new OutpostException(ErrorCode.INVALID_PATH, "symlink target must be non-empty without NUL");
    }
    int bytes = Utf8.length(target);
    if (bytes < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "symlink target has an unpaired surrogate");
    }
    if (bytes > VolumePath.MAX_PATH_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_PATH,
          "symlink target is " + bytes + " bytes, at most " + VolumePath.MAX_PATH_BYTES);
    }
    return bytes;
  }
}
