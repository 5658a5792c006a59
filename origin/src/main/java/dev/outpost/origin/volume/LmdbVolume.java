package dev.outpost.origin.volume;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.core.Utf8;
import dev.outpost.core.VolumePath;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.BlockIds;
import dev.outpost.crypto.IndexBlock;
import dev.outpost.crypto.VolumeKey;
import dev.outpost.origin.volume.TableCodecs.EntryKey;
import dev.outpost.origin.volume.TableCodecs.NodeKey;
import dev.outpost.origin.volume.TableCodecs.SnapshotRecord;
import dev.outpost.core.BlockRef;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.ReserveInodes;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.SnapshotInfo;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.store.BinaryReader;
import dev.outpost.store.BinaryWriter;
import dev.outpost.store.BlockStore;
import dev.outpost.store.Codec;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.StorageConfig;
import dev.outpost.store.Table;
import dev.outpost.store.WriteTxn;
import dev.outpost.transport.ConflictException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Volume} in one durable LMDB environment under {@code dataDir/volume}.
 *
 * <p>Layout: the tree tables are keyed by a tree number first — 0 is the live tree, each snapshot has its
 * own number — so a snapshot is a copy of the live tree's metadata (never of blocks) and is deleted by
 * deleting its key range. Tables: {@code inodes} ((tree, inode) → {@link InodeRecord}), {@code dirents}
 * ((tree, parent, name) → child inode; names in UTF-8 byte order, which is readdir order), {@code journal}
 * (seq → {@link ChangeEvent}), {@code meta} (counters and identity), {@code snapshots} (name → tree number,
 * seq, time), {@code blocks} (the ciphertext block store) and {@code block-touch} (block id → last put,
 * has-blocks or commit time, for GC's grace period), and {@code applied}/{@code originators}, the replies of
 * mutations applied with an operation id ({@link AppliedOperations}), and {@code inode-reservations}, inode
 * numbers handed out ahead to an originator ({@link InodeReservations}).
 *
 * <p>Every mutation is one write transaction: tree change, version bumps, journal entries, journal trim and
 * the record of its operation id commit together or not at all. A directory whose entries change gets a new version and mtime but no
 * journal entry of its own: subscribers treat a CREATED, REMOVED or RENAMED entry as a change of the parent
 * directory (of both parents for RENAMED).
 *
 * <p>Thread-safe: reads run concurrently; writes are serialised by the storage; GC runs one at a time.
 */
public final class LmdbVolume implements Volume {
  /** Journal entries kept when none is configured. */
  public static final int DEFAULT_JOURNAL_RETAIN_EVENTS = 1_000_000;
  /** Most journal entries one {@link #journalAfter} call returns. */
  public static final int MAX_JOURNAL_BATCH = 65_536;
  /** Most block references one {@link #listBlocks} batch holds. */
  public static final int MAX_BLOCK_BATCH = 65_536;
  /** The root directory's inode. */
  public static final long ROOT_INODE = 1;
  /** Missing block ids named in a MISSING_BLOCKS message. */
  static final int MAX_MISSING_LISTED = 20;
  static final long LIVE_TREE = 0;
  static final String ENV_DIRECTORY = "volume";
  private static final int MAX_VOLUME_NAME_CHARS = 128;
  private static final int GC_DELETE_CHUNK = 1024;
  private static final int COPY_CHUNK = 4096;

  static final String META_IDENTITY = "identity";
  static final String META_NEXT_INODE = "next-inode";
  static final String META_SEQ = "seq";
  static final String META_OLDEST_SEQ = "oldest-seq";
  static final String META_NEXT_TREE = "next-tree";

  private static final Logger log = LoggerFactory.getLogger(LmdbVolume.class);

  private static final Codec<Identity> IDENTITY = Codec.of(
      (id, out) -> out.writeByte(1).writeString(id.name()).writeBytes(id.volumeId()).writeLong(id.createdAtMillis()),
      in -> {
        in.readByte();
        return new Identity(in.readString(), in.readBytes(), in.readLong());
      });

  final LmdbStorage storage;
  final Table<NodeKey, InodeRecord> inodes;
  final Table<EntryKey, Long> dirents;
  final Table<Long, ChangeEvent> journal;
  final Table<String, byte[]> meta;
  final Table<String, SnapshotRecord> snapshots;
  final Table<BlockId, Long> touches;
  final BlockStore blocks;
  final BlockTrees trees;
  final AppliedOperations applied;
  final InodeReservations reservations;
  private final Clock clock;
  private final int journalRetainEvents;
  private final Identity identity;
  private final Object gcLock = new Object();

  private LmdbVolume(LmdbStorage storage, Clock clock, int journalRetainEvents, Optional<Identity> fresh) {
    this.storage = storage;
    this.clock = clock;
    this.journalRetainEvents = journalRetainEvents;
    this.inodes = storage.table("inodes", TableCodecs.NODE_KEY, TableCodecs.INODE);
    this.dirents = storage.table("dirents", TableCodecs.ENTRY_KEY, Codecs.LONG);
    this.journal = storage.table("journal", Codecs.SORTABLE_LONG, TableCodecs.EVENT);
    this.meta = storage.table("meta", Codecs.UTF8, Codecs.BYTES);
    this.snapshots = storage.table("snapshots", Codecs.UTF8, TableCodecs.SNAPSHOT);
    this.touches = storage.table("block-touch", Codecs.BLOCK_ID, Codecs.LONG);
    this.blocks = storage.blockStore("blocks");
    this.trees = new BlockTrees(blocks);
    this.applied = new AppliedOperations(storage);
    this.reservations = new InodeReservations(storage);
    if (fresh.isPresent()) {
      initialise(fresh.get());
    }
    this.identity = storage.read(txn -> meta.get(txn, META_IDENTITY)).map(IDENTITY::decode)
        .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND,
            "no volume in " + storage.directory() + ": initialise one first"));
  }

  /**
   * Initialises a new, empty volume (root directory only) in {@code dataDir}.
   *
   * @param volumeId {@value VolumeKey#VOLUME_ID_BYTES} bytes, the id the volume key is bound to
   * @throws OutpostException ALREADY_EXISTS if a volume is there; INVALID_ARGUMENT for a bad name or id
   */
  public static LmdbVolume create(Path dataDir, String volumeName, byte[] volumeId, StorageConfig config, Clock clock) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(clock, "clock");
    if (volumeName == null || volumeName.isBlank() || volumeName.length() > MAX_VOLUME_NAME_CHARS) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "volume name must be 1.." + MAX_VOLUME_NAME_CHARS + " characters, not blank");
    }
    if (volumeId == null || volumeId.length != VolumeKey.VOLUME_ID_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "volume id must be " + VolumeKey.VOLUME_ID_BYTES + " bytes");
    }
    Path env = dataDir.resolve(ENV_DIRECTORY);
    Identity id = new Identity(volumeName, volumeId.clone(), clock.millis());
    LmdbStorage storage = LmdbStorage.open(env, config.withDurable(true));
    try {
      LmdbVolume volume = new LmdbVolume(storage, clock, DEFAULT_JOURNAL_RETAIN_EVENTS, Optional.of(id));
      log.info("created volume '{}' in {}", volumeName, env);
      return volume;
    } catch (RuntimeException e) {
      storage.close();
      throw e;
    }
  }

  /**
   * Opens the volume in {@code dataDir}.
   *
   * @param journalRetainEvents journal entries kept (at least 1); older ones are trimmed by the next mutation
   * @throws OutpostException NOT_FOUND if {@code dataDir} holds no volume
   */
  public static LmdbVolume open(Path dataDir, StorageConfig config, Clock clock, int journalRetainEvents) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(clock, "clock");
    if (journalRetainEvents < 1) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "journalRetainEvents must be at least 1, got " + journalRetainEvents);
    }
    Path env = dataDir.resolve(ENV_DIRECTORY);
    // Check before opening: LmdbStorage would create an empty store in a mistyped directory.
    if (!Files.isRegularFile(env.resolve("data.mdb"))) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "no volume in " + dataDir + " (no " + env.resolve("data.mdb")
          + "): initialise one first");
    }
    LmdbStorage storage = LmdbStorage.open(env, config.withDurable(true));
    try {
      return new LmdbVolume(storage, clock, journalRetainEvents, Optional.empty());
    } catch (RuntimeException e) {
      storage.close();
      throw e;
    }
  }

  private void initialise(Identity id) {
    storage.write(txn -> {
      if (meta.contains(txn, META_IDENTITY)) {
        Identity existing = IDENTITY.decode(meta.get(txn, META_IDENTITY).orElseThrow());
        throw new OutpostException(ErrorCode.ALREADY_EXISTS,
            "a volume ('" + existing.name() + "') already exists in " + storage.directory());
      }
      meta.put(txn, META_IDENTITY, IDENTITY.encode(id));
      putLong(txn, META_NEXT_INODE, ROOT_INODE + 1);
      putLong(txn, META_SEQ, 0);
      putLong(txn, META_OLDEST_SEQ, 1);
      putLong(txn, META_NEXT_TREE, 1);
      inodes.put(txn, new NodeKey(LIVE_TREE, ROOT_INODE), new InodeRecord(FileType.DIRECTORY, 0755, 0,
          id.createdAtMillis(), 1, Optional.empty(), "", ROOT_INODE));
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // identity and counters

  @Override
  public Identity identity() {
    return new Identity(identity.name(), identity.volumeId().clone(), identity.createdAtMillis());
  }

  @Override
  public long currentSeq() {
    return storage.read(txn -> getLong(txn, META_SEQ));
  }

  /** The oldest sequence in the journal, or {@code currentSeq() + 1} when the journal is empty. */
  @Override
  public long oldestRetainedSeq() {
    return storage.read(txn -> getLong(txn, META_OLDEST_SEQ));
  }

  /** Journal entries kept, as configured at open. */
  public int journalRetainEvents() {
    return journalRetainEvents;
  }

  // ---------------------------------------------------------------------------------------------------
  // namespace reads

  @Override
  public FileAttr getAttr(String snapshot, String path) {
    VolumePath.check(path);
    return storage.read(txn -> {
      Node n = resolve(txn, treeOf(txn, snapshot), path);
      return n.attr();
    });
  }

  @Override
  public FileAttr lookup(String snapshot, long parentInode, String name) {
    VolumePath.checkName(name);
    return storage.read(txn -> {
      long tree = treeOf(txn, snapshot);
      InodeRecord parent = inodes.get(txn, new NodeKey(tree, parentInode))
          .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND, "no inode " + parentInode));
      if (!parent.isDirectory()) {
        throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "inode " + parentInode + " is not a directory");
      }
      long child = dirents.get(txn, new EntryKey(tree, parentInode, name))
          .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND,
              "no entry '" + name + "' in directory inode " + parentInode));
      return record(txn, tree, child, name).toAttr(child);
    });
  }

  @Override
  public DirPage readDir(String snapshot, String path, String startAfter, int maxEntries) {
    VolumePath.check(path);
    Objects.requireNonNull(startAfter, "startAfter");
    if (!startAfter.isEmpty()) {
      VolumePath.checkName(startAfter);
    }
    if (maxEntries < 1 || maxEntries > ReadDir.MAX_ENTRIES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "maxEntries " + maxEntries + " outside 1.." + ReadDir.MAX_ENTRIES);
    }
    return storage.read(txn -> {
      long tree = treeOf(txn, snapshot);
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
    });
  }

  @Override
  public String readLink(String snapshot, String path) {
    VolumePath.check(path);
    return storage.read(txn -> {
      Node n = resolve(txn, treeOf(txn, snapshot), path);
      if (n.record().type() != FileType.SYMLINK) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "not a symlink: " + path);
      }
      return n.record().linkTarget();
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // namespace mutations

  @Override
  public Mutation<FileAttr> create(OperationId op, String path, int mode, boolean exclusive, long inode,
      long nowMillis) {
    VolumePath.check(path);
    checkRequestedInode(op, inode);
    checkMode(mode);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(exclusive ? ErrorCode.ALREADY_EXISTS : ErrorCode.IS_A_DIRECTORY,
          "the root directory exists");
    }
    return mutateAttr(op, Create.class, nowMillis, c -> {
      Node parent = resolveDirectory(c.txn, VolumePath.parent(path), path);
      String name = VolumePath.name(path);
      Optional<Long> existing = dirents.get(c.txn, new EntryKey(LIVE_TREE, parent.inode(), name));
      if (existing.isPresent()) {
        InodeRecord rec = record(c.txn, LIVE_TREE, existing.get(), path);
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
      return c.add(parent, name, rec, path, c.inodeFor(op, inode, nowMillis), nowMillis);
    });
  }

  @Override
  public Mutation<FileAttr> mkdir(OperationId op, String path, int mode, long inode, long nowMillis) {
    VolumePath.check(path);
    checkRequestedInode(op, inode);
    checkMode(mode);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.ALREADY_EXISTS, "the root directory exists");
    }
    return mutateAttr(op, Mkdir.class, nowMillis, c -> {
      Node parent = resolveDirectory(c.txn, VolumePath.parent(path), path);
      String name = VolumePath.name(path);
      if (dirents.contains(c.txn, new EntryKey(LIVE_TREE, parent.inode(), name))) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists: " + path);
      }
      InodeRecord rec = new InodeRecord(FileType.DIRECTORY, mode, 0, nowMillis, 1, Optional.empty(), "",
          parent.inode());
      return c.add(parent, name, rec, path, c.inodeFor(op, inode, nowMillis), nowMillis);
    });
  }

  @Override
  public Mutation<FileAttr> symlink(OperationId op, String path, String target, long inode, long nowMillis) {
    VolumePath.check(path);
    checkRequestedInode(op, inode);
    int targetBytes = checkLinkTarget(target);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.ALREADY_EXISTS, "the root directory exists");
    }
    return mutateAttr(op, Symlink.class, nowMillis, c -> {
      Node parent = resolveDirectory(c.txn, VolumePath.parent(path), path);
      String name = VolumePath.name(path);
      if (dirents.contains(c.txn, new EntryKey(LIVE_TREE, parent.inode(), name))) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists: " + path);
      }
      InodeRecord rec = new InodeRecord(FileType.SYMLINK, 0777, targetBytes, nowMillis, 1, Optional.empty(), target,
          parent.inode());
      return c.add(parent, name, rec, path, c.inodeFor(op, inode, nowMillis), nowMillis);
    });
  }

  @Override
  public Mutation<Void> unlink(OperationId op, String path, long nowMillis) {
    VolumePath.check(path);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot unlink the root directory");
    }
    return mutateVoid(op, Unlink.class, nowMillis, c -> {
      Node node = resolve(c.txn, LIVE_TREE, path);
      if (node.record().isDirectory()) {
        throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "is a directory (use rmdir): " + path);
      }
      c.remove(node, path, nowMillis);
      return null;
    });
  }

  @Override
  public Mutation<Void> rmdir(OperationId op, String path, long nowMillis) {
    VolumePath.check(path);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot remove the root directory");
    }
    return mutateVoid(op, Rmdir.class, nowMillis, c -> {
      Node node = resolve(c.txn, LIVE_TREE, path);
      if (!node.record().isDirectory()) {
        throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + path);
      }
      if (hasEntries(c.txn, LIVE_TREE, node.inode())) {
        throw new OutpostException(ErrorCode.DIRECTORY_NOT_EMPTY, "directory not empty: " + path);
      }
      c.remove(node, path, nowMillis);
      return null;
    });
  }

  @Override
  public Mutation<Void> rename(OperationId op, String from, String to, long nowMillis) {
    VolumePath.check(from);
    VolumePath.check(to);
    if (from.equals(VolumePath.ROOT) || to.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot rename to or from the root directory");
    }
    return mutateVoid(op, Rename.class, nowMillis, c -> {
      Node source = resolve(c.txn, LIVE_TREE, from);
      if (source.record().isDirectory() && !from.equals(to) && VolumePath.isUnder(to, from)) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot move " + from + " into its own subtree " + to);
      }
      Node sourceParent = resolve(c.txn, LIVE_TREE, VolumePath.parent(from));
      Node targetParent = resolveDirectory(c.txn, VolumePath.parent(to), to);
      if (from.equals(to)) {
        return null;
      }
      String toName = VolumePath.name(to);
      EntryKey targetKey = new EntryKey(LIVE_TREE, targetParent.inode(), toName);
      Optional<Long> existing = dirents.get(c.txn, targetKey);
      if (existing.isPresent()) {
        Node replaced = new Node(existing.get(), record(c.txn, LIVE_TREE, existing.get(), to));
        if (source.record().isDirectory()) {
          if (!replaced.record().isDirectory()) {
            throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "cannot replace non-directory " + to
                + " with directory " + from);
          }
          if (hasEntries(c.txn, LIVE_TREE, replaced.inode())) {
            throw new OutpostException(ErrorCode.DIRECTORY_NOT_EMPTY, "directory not empty: " + to);
          }
        } else if (replaced.record().isDirectory()) {
          throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot replace directory " + to + " with " + from);
        }
        inodes.delete(c.txn, new NodeKey(LIVE_TREE, replaced.inode()));
        c.emit(replaced.inode(), to, "", replaced.record().version(), ChangeKind.REMOVED);
      }
      dirents.delete(c.txn, new EntryKey(LIVE_TREE, sourceParent.inode(), VolumePath.name(from)));
      dirents.put(c.txn, targetKey, source.inode());
      if (source.record().parent() != targetParent.inode()) {
        inodes.put(c.txn, new NodeKey(LIVE_TREE, source.inode()), source.record().withParent(targetParent.inode()));
      }
      c.touchDirectory(sourceParent, nowMillis);
      if (targetParent.inode() != sourceParent.inode()) {
        c.touchDirectory(targetParent, nowMillis);
      }
      c.emit(source.inode(), to, from, source.record().version(), ChangeKind.RENAMED);
      return null;
    });
  }

  @Override
  public Mutation<FileAttr> setAttr(OperationId op, String path, OptionalInt mode, OptionalLong mtimeMillis,
      OptionalLong size, long nowMillis) {
    VolumePath.check(path);
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(mtimeMillis, "mtimeMillis");
    Objects.requireNonNull(size, "size");
    mode.ifPresent(LmdbVolume::checkMode);
    size.ifPresent(s -> BlockFormat.checkFileSize(path, s));
    if (size.isPresent() && size.getAsLong() != 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "setAttr only truncates to size 0 (got " + size.getAsLong() + "); other sizes are written by a commit");
    }
    return mutateAttr(op, SetAttr.class, nowMillis, c -> {
      Node node = resolve(c.txn, LIVE_TREE, path);
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
      inodes.put(c.txn, new NodeKey(LIVE_TREE, node.inode()), updated);
      c.emit(node.inode(), path, "", updated.version(), size.isPresent() ? ChangeKind.MODIFIED : ChangeKind.ATTRS);
      return updated.toAttr(node.inode());
    });
  }

  @Override
  public Mutation<FileAttr> commit(OperationId op, String path, long inode, long baseVersion, Optional<RootRef> root,
      long size, long mtimeMillis, long nowMillis) {
    VolumePath.check(path);
    Objects.requireNonNull(root, "root");
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot commit to the root directory");
    }
    if (inode < 0 || baseVersion < 0 || size < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "commit needs inode, base version and size >= 0, got " + inode + ", " + baseVersion + ", " + size);
    }
    // The size is the client's word (the origin cannot read plain lengths), so it is bounded here.
    BlockFormat.checkFileSize(path, size);
    if (root.isPresent() != (size > 0)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, root.isPresent()
          ? "an empty file has no root" : "a file of " + size + " bytes needs a root");
    }
    // A commit applied before is answered, not refused: its base is no longer current because it was applied.
    Optional<Reply> done = applied(op, Commit.class);
    if (done.isPresent()) {
      return new Mutation<>(attrOf(op, done.get()), List.of());
    }
    // Cheap refusal first: a stale base should not cost the client an upload of blocks it will not need.
    storage.read(txn -> checkCommittable(txn, path, inode, baseVersion));
    // Walk the index blocks outside the writer: they are immutable, and the write below re-checks presence.
    List<BlockId> referenced = new ArrayList<>();
    Set<BlockId> missing = new LinkedHashSet<>();
    root.ifPresent(r -> trees.walk(r, new HashSet<>(), new BlockTrees.Visitor() {
      @Override
      public void block(BlockId id, int cipherLength, int level) {
        referenced.add(id);
      }

      @Override
      public void missingIndex(BlockId id, int level) {
        missing.add(id);
      }

      @Override
      public void corruptIndex(BlockId id, int level, OutpostException why) {
        throw why;
      }
    }));
    long touchedAt = clock.millis();
    return mutateAttr(op, Commit.class, nowMillis, c -> {
      Optional<Node> existing = checkCommittable(c.txn, path, inode, baseVersion);
      List<BlockId> absent = new ArrayList<>(missing);
      for (BlockId id : referenced) {
        if (!missing.contains(id) && !blocks.contains(c.txn, id)) {
          absent.add(id);
        }
      }
      if (!absent.isEmpty()) {
        throw missingBlocks(path, absent);
      }
      // A commit may revive an old unreferenced block (dedup): touching it keeps a concurrent GC from
      // sweeping it between GC's mark and sweep.
      for (BlockId id : referenced) {
        touches.put(c.txn, id, touchedAt);
      }
      if (existing.isEmpty()) {
        Node parent = resolveDirectory(c.txn, VolumePath.parent(path), path);
        InodeRecord rec = new InodeRecord(FileType.FILE, 0644, size, mtimeMillis, 1, root, "", parent.inode());
        return c.add(parent, VolumePath.name(path), rec, path, c.nextInode(), nowMillis);
      }
      Node node = existing.get();
      InodeRecord updated = node.record().withContent(root, size, mtimeMillis);
      inodes.put(c.txn, new NodeKey(LIVE_TREE, node.inode()), updated);
      c.emit(node.inode(), path, "", updated.version(), ChangeKind.MODIFIED);
      return updated.toAttr(node.inode());
    });
  }

  /**
   * The file a commit replaces (empty if it is to be created), after the conflict checks.
   *
   * @throws ConflictException if the base version or inode is not current
   */
  private Optional<Node> checkCommittable(ReadTxn txn, String path, long inode, long baseVersion) {
    Node parent = resolveDirectory(txn, VolumePath.parent(path), path);
    Optional<Long> child = dirents.get(txn, new EntryKey(LIVE_TREE, parent.inode(), VolumePath.name(path)));
    if (child.isEmpty()) {
      if (baseVersion == 0 && inode == 0) {
        return Optional.empty();
      }
      throw new ConflictException("base version " + baseVersion + " of " + path + " but the file no longer exists",
          Optional.empty());
    }
    Node node = new Node(child.get(), record(txn, LIVE_TREE, child.get(), path));
    FileAttr current = node.attr();
    if (baseVersion == 0) {
      throw new ConflictException("base version 0 (create) but " + path + " exists at version "
          + current.version(), Optional.of(current));
    }
    if (inode != 0 && inode != node.inode()) {
      throw new ConflictException("inode " + inode + " but " + path + " is now inode " + node.inode(),
          Optional.of(current));
    }
    if (node.record().type() != FileType.FILE) {
      throw new OutpostException(node.record().isDirectory() ? ErrorCode.IS_A_DIRECTORY : ErrorCode.INVALID_ARGUMENT,
          "cannot commit content to a " + node.record().type() + ": " + path);
    }
    if (node.record().version() != baseVersion) {
      throw new ConflictException("base version " + baseVersion + " but current is " + current.version()
          + " for " + path, Optional.of(current));
    }
    return Optional.of(node);
  }

  private static OutpostException missingBlocks(String path, List<BlockId> absent) {
    StringBuilder b = new StringBuilder("commit of ").append(path).append(" references ").append(absent.size())
        .append(" missing block(s): ");
    for (int i = 0; i < absent.size() && i < MAX_MISSING_LISTED; i++) {
      b.append(i == 0 ? "" : " ").append(absent.get(i).hex());
    }
    if (absent.size() > MAX_MISSING_LISTED) {
      b.append(" and ").append(absent.size() - MAX_MISSING_LISTED).append(" more");
    }
    return new OutpostException(ErrorCode.MISSING_BLOCKS, b.toString());
  }

  // ---------------------------------------------------------------------------------------------------
  // journal

  /**
   * @throws OutpostException RESYNC if entries after {@code afterSeq} were already trimmed, or if
   *     {@code afterSeq} is beyond the journal (the volume was restored or replaced)
   */
  @Override
  public List<ChangeEvent> journalAfter(long afterSeq, String prefix, int max) {
    VolumePath.check(prefix);
    if (afterSeq < 0 || max < 1 || max > MAX_JOURNAL_BATCH) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "journal request needs afterSeq >= 0 and max in 1.." + MAX_JOURNAL_BATCH + ", got " + afterSeq + ", " + max);
    }
    return storage.read(txn -> {
      long oldest = getLong(txn, META_OLDEST_SEQ);
      long current = getLong(txn, META_SEQ);
      if (afterSeq + 1 < oldest) {
        throw new OutpostException(ErrorCode.RESYNC,
            "journal starts at seq " + oldest + "; entries after " + afterSeq + " are gone");
      }
      if (afterSeq > current) {
        throw new OutpostException(ErrorCode.RESYNC,
            "seq " + afterSeq + " is beyond the journal's end " + current + ": the volume was restored or replaced");
      }
      List<ChangeEvent> out = new ArrayList<>();
      journal.scanFrom(txn, afterSeq + 1, Table.Direction.FORWARD, (seq, e) -> {
        if (VolumePath.isUnder(e.path(), prefix)
            || (!e.fromPath().isEmpty() && VolumePath.isUnder(e.fromPath(), prefix))) {
          out.add(e);
        }
        return out.size() < max;
      });
      return out;
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // blocks

  @Override
  public boolean putBlock(BlockId id, ByteBuffer cipher) {
    return putBlocks(List.of(verifyBlock(id, cipher)), List.of()) == 1;
  }

  @Override
  public VerifiedBlock verifyBlock(BlockId id, ByteBuffer cipher) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(cipher, "cipher");
    int length = cipher.remaining();
    if (length < BlockFormat.MIN_CIPHER_BYTES || length > BlockFormat.MAX_CIPHER_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "block " + id + " is " + length + " bytes, allowed "
          + BlockFormat.MIN_CIPHER_BYTES + ".." + BlockFormat.MAX_CIPHER_BYTES);
    }
    byte type = cipher.get(cipher.position());
    if (type == BlockFormat.INDEX) {
      byte[] bytes = new byte[length];
      cipher.duplicate().get(bytes);
      try {
        IndexBlock.readPublic(bytes);
      } catch (OutpostException e) {
        throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "block " + id + ": " + e.getMessage(), e);
      }
    } else if (type != BlockFormat.DATA_RAW && type != BlockFormat.DATA_ZSTD) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "block " + id + " has unknown type byte " + type);
    }
    BlockIds.verify(id, cipher);
    return new VerifiedBlock(id, cipher.duplicate());
  }

  @Override
  public int putBlocks(List<VerifiedBlock> batch, Collection<BlockId> touch) {
    Objects.requireNonNull(batch, "batch");
    Objects.requireNonNull(touch, "touch");
    if (batch.isEmpty() && touch.isEmpty()) {
      return 0;
    }
    long now = clock.millis();
    return storage.write(txn -> {
      int added = 0;
      for (VerifiedBlock b : batch) {
        if (blocks.put(txn, b.id(), b.cipher())) {
          added++;
        }
        touches.put(txn, b.id(), now);
      }
      for (BlockId id : touch) {
        // A block collected since it was reported present gets no touch row: the commit will name it missing.
        if (blocks.contains(txn, id)) {
          touches.put(txn, id, now);
        }
      }
      return added;
    });
  }

  @Override
  public List<BlockId> missingBlocks(Collection<BlockId> ids) {
    LinkedHashSet<BlockId> distinct = distinctIds(ids);
    long now = clock.millis();
    return storage.write(txn -> {
      List<BlockId> absent = new ArrayList<>();
      for (BlockId id : distinct) {
        if (blocks.contains(txn, id)) {
          touches.put(txn, id, now);
        } else {
          absent.add(id);
        }
      }
      return absent;
    });
  }

  @Override
  public List<BlockId> absentBlocks(Collection<BlockId> ids) {
    LinkedHashSet<BlockId> distinct = distinctIds(ids);
    return storage.read(txn -> {
      List<BlockId> absent = new ArrayList<>();
      for (BlockId id : distinct) {
        if (!blocks.contains(txn, id)) {
          absent.add(id);
        }
      }
      return absent;
    });
  }

  private static LinkedHashSet<BlockId> distinctIds(Collection<BlockId> ids) {
    Objects.requireNonNull(ids, "ids");
    LinkedHashSet<BlockId> distinct = new LinkedHashSet<>(ids);
    if (distinct.contains(null)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "null block id");
    }
    return distinct;
  }

  @Override
  public Optional<ByteBuf> getBlock(BlockId id, ByteBufAllocator alloc) {
    return blocks.get(id, alloc);
  }

  /** Blocks stored and their total ciphertext bytes. */
  public dev.outpost.store.BlockStoreStats blockStats() {
    return blocks.stats();
  }

  // ---------------------------------------------------------------------------------------------------
  // snapshots

  /**
   * Copies the live tree's metadata (every inode and directory entry, no block) under a new tree number in
   * one write transaction: O(files) time and metadata space, no data copied.
   */
  @Override
  public Mutation<SnapshotInfo> createSnapshot(String name, long nowMillis) {
    SnapshotInfo.checkName(name);
    if (name.isEmpty()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "a snapshot needs a name");
    }
    return mutate(c -> {
      if (snapshots.contains(c.txn, name)) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, "snapshot '" + name + "' already exists");
      }
      long tree = getLong(c.txn, META_NEXT_TREE);
      putLong(c.txn, META_NEXT_TREE, tree + 1);
      copyRange(c.txn, inodes, new NodeKey(LIVE_TREE, Long.MIN_VALUE), k -> k.tree() == LIVE_TREE,
          k -> new NodeKey(tree, k.inode()));
      copyRange(c.txn, dirents, new EntryKey(LIVE_TREE, Long.MIN_VALUE, ""), k -> k.tree() == LIVE_TREE,
          k -> new EntryKey(tree, k.parent(), k.name()));
      long seq = getLong(c.txn, META_SEQ);
      snapshots.put(c.txn, name, new SnapshotRecord(tree, seq, nowMillis));
      return new SnapshotInfo(name, seq, nowMillis);
    });
  }

  @Override
  public List<SnapshotInfo> listSnapshots() {
    return storage.read(txn -> {
      List<SnapshotInfo> out = new ArrayList<>();
      snapshots.scan(txn, Table.Direction.FORWARD, (name, s) -> {
        out.add(new SnapshotInfo(name, s.seq(), s.createdAtMillis()));
        return true;
      });
      return out;
    });
  }

  /** Drops the snapshot's metadata; blocks only it referenced become collectable by the next GC. */
  @Override
  public void deleteSnapshot(String name) {
    SnapshotInfo.checkName(name);
    if (name.isEmpty()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "the live volume is not a snapshot");
    }
    storage.write(txn -> {
      SnapshotRecord s = snapshots.get(txn, name)
          .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND, "no snapshot '" + name + "'"));
      deleteRange(txn, inodes, new NodeKey(s.tree(), Long.MIN_VALUE), k -> k.tree() == s.tree());
      deleteRange(txn, dirents, new EntryKey(s.tree(), Long.MIN_VALUE, ""), k -> k.tree() == s.tree());
      snapshots.delete(txn, name);
      return null;
    });
  }

  /**
   * Collects the roots under {@code prefix} in one read transaction (memory O(files under prefix)), then
   * walks their index trees outside it; {@code sink} never runs inside a transaction.
   */
  @Override
  public void listBlocks(String snapshot, String prefix, int batchSize, Consumer<List<BlockRef>> sink) {
    VolumePath.check(prefix);
    Objects.requireNonNull(sink, "sink");
    if (batchSize < 1 || batchSize > MAX_BLOCK_BATCH) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "batch size " + batchSize + " outside 1.." + MAX_BLOCK_BATCH);
    }
    List<RootRef> roots = storage.read(txn -> {
      long tree = treeOf(txn, snapshot);
      Node top = resolve(txn, tree, prefix);
      List<RootRef> found = new ArrayList<>();
      forEachUnder(txn, tree, top, (inode, rec) -> rec.root().ifPresent(found::add));
      return found;
    });
    Set<BlockId> seen = new HashSet<>();
    List<BlockRef> batch = new ArrayList<>(Math.min(batchSize, 1024));
    for (RootRef root : roots) {
      trees.walk(root, seen, new BlockTrees.Visitor() {
        @Override
        public void block(BlockId id, int cipherLength, int level) {
          batch.add(new BlockRef(id, cipherLength));
          if (batch.size() == batchSize) {
            sink.accept(List.copyOf(batch));
            batch.clear();
          }
        }

        @Override
        public void missingIndex(BlockId id, int level) {
          log.warn("listBlocks: index block {} is missing; its subtree is not listed (run fsck)", id.hex());
        }

        @Override
        public void corruptIndex(BlockId id, int level, OutpostException why) {
          log.warn("listBlocks: {}; its subtree is not listed (run fsck)", why.getMessage());
        }
      });
    }
    if (!batch.isEmpty()) {
      sink.accept(List.copyOf(batch));
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // maintenance

  /**
   * Mark and sweep. Mark: collect the distinct roots of every tree (live and snapshots) in one read
   * transaction, then walk their index trees. Sweep: every stored block not marked whose last touch is at
   * least {@code graceMillis} before {@code nowMillis} is deleted, re-checking the touch time in the
   * deleting write transaction. Commits touch every block they reference, so a block revived by a commit
   * after the mark is never swept. Memory: one id per referenced block.
   *
   * @throws OutpostException INTERNAL (and deletes nothing) if a referenced index block is unreadable: its
   *     children are unknown, so sweeping could destroy live data
   */
  @Override
  public GcReport collectGarbage(long graceMillis, long nowMillis) {
    if (graceMillis < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "graceMillis must be >= 0, got " + graceMillis);
    }
    synchronized (gcLock) {
      Map<BlockId, RootRef> roots = storage.read(txn -> {
        Map<BlockId, RootRef> found = new HashMap<>();
        inodes.scan(txn, Table.Direction.FORWARD, (k, rec) -> {
          rec.root().ifPresent(r -> found.putIfAbsent(r.block(), r));
          return true;
        });
        return found;
      });
      Set<BlockId> marked = new HashSet<>();
      for (RootRef root : roots.values()) {
        trees.walk(root, marked, new BlockTrees.Visitor() {
          @Override
          public void block(BlockId id, int cipherLength, int level) {}

          @Override
          public void missingIndex(BlockId id, int level) {
            log.warn("gc: referenced index block {} is missing (run fsck)", id.hex());
          }

          @Override
          public void corruptIndex(BlockId id, int level, OutpostException why) {
            throw new OutpostException(ErrorCode.INTERNAL, "gc stopped, nothing deleted: " + why.getMessage()
                + " (run fsck)", why);
          }
        });
      }
      long cutoff = nowMillis - graceMillis;
      List<BlockId> candidates = new ArrayList<>();
      blocks.forEachId((id, length) -> {
        if (!marked.contains(id)) {
          candidates.add(id);
        }
      });
      long freed = 0;
      long freedBytes = 0;
      for (int from = 0; from < candidates.size(); from += GC_DELETE_CHUNK) {
        List<BlockId> chunk = candidates.subList(from, Math.min(candidates.size(), from + GC_DELETE_CHUNK));
        long[] result = storage.write(txn -> {
          long n = 0;
          long bytes = 0;
          for (BlockId id : chunk) {
            long touched = touches.get(txn, id).orElse(Long.MIN_VALUE);
            if (touched > cutoff) {
              continue;
            }
            long before = blocks.stats(txn).bytes();
            if (blocks.delete(txn, id)) {
              n++;
              bytes += before - blocks.stats(txn).bytes();
            }
            touches.delete(txn, id);
          }
          return new long[] {n, bytes};
        });
        freed += result[0];
        freedBytes += result[1];
      }
      long kept = blocks.stats().count();
      long idle = applied.dropIdle(AppliedOperations.IDLE_MILLIS, nowMillis);
      long idleRanges = storage.write(txn -> reservations.dropIdle(txn, InodeReservations.IDLE_MILLIS, nowMillis));
      if (idleRanges > 0) {
        log.info("gc: {} inode reservations unused for 30 days dropped", idleRanges);
      }
      log.info("gc: {} roots, {} blocks referenced, {} freed ({} bytes), {} kept; {} idle senders of operation ids"
          + " forgotten", roots.size(), marked.size(), freed, freedBytes, kept, idle);
      return new GcReport(kept, freed, freedBytes, idle);
    }
  }

  @Override
  public List<String> fsck() {
    return new Fsck(this).run();
  }

  @Override
  public void close() {
    storage.close();
  }

  @Override
  public String toString() {
    return "LmdbVolume[" + identity.name() + " in " + storage.directory() + "]";
  }

  // ---------------------------------------------------------------------------------------------------
  // tree access

  /** An inode and its record, as resolved in one transaction. */
  record Node(long inode, InodeRecord record) {
    FileAttr attr() {
      return record.toAttr(inode);
    }
  }

  /** The tree number of {@code snapshot} ("" = live). */
  long treeOf(ReadTxn txn, String snapshot) {
    SnapshotInfo.checkName(snapshot);
    if (snapshot.isEmpty()) {
      return LIVE_TREE;
    }
    return snapshots.get(txn, snapshot)
        .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND, "no snapshot '" + snapshot + "'"))
        .tree();
  }

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

  private Node resolveDirectory(ReadTxn txn, String dir, String forPath) {
    Node n = resolve(txn, LIVE_TREE, dir);
    if (!n.record().isDirectory()) {
      throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + dir + " (in " + forPath + ")");
    }
    return n;
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

  /** Visits {@code top} and everything below it, depth first. */
  void forEachUnder(ReadTxn txn, long tree, Node top, java.util.function.BiConsumer<Long, InodeRecord> visitor) {
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

  long getLong(ReadTxn txn, String key) {
    byte[] bytes = meta.get(txn, key)
        .orElseThrow(() -> new OutpostException(ErrorCode.INTERNAL, "volume meta '" + key + "' is missing"));
    return new BinaryReader(bytes).readLong();
  }

  void putLong(WriteTxn txn, String key, long value) {
    meta.put(txn, key, new BinaryWriter(8, 8).writeLong(value).toByteArray());
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
  // mutation plumbing

  private <T> Mutation<T> mutate(Function<Change, T> body) {
    return storage.write(txn -> change(txn, body));
  }

  /**
   * A mutation answered by its new attributes, applied at most once per operation id: a recorded id is
   * answered from the record and changes nothing; a success is recorded in the same transaction.
   */
  private Mutation<FileAttr> mutateAttr(OperationId op, Class<? extends dev.outpost.protocol.Mutation> kind,
      long nowMillis, Function<Change, FileAttr> body) {
    return storage.write(txn -> {
      Optional<Reply> done = applied.find(txn, op, kind);
      if (done.isPresent()) {
        return new Mutation<>(attrOf(op, done.get()), List.of());
      }
      Mutation<FileAttr> m = change(txn, body);
      applied.record(txn, op, kind, new AttrReply(m.result()), nowMillis);
      return m;
    });
  }

  /** As {@link #mutateAttr} for a mutation answered by OK. */
  private Mutation<Void> mutateVoid(OperationId op, Class<? extends dev.outpost.protocol.Mutation> kind,
      long nowMillis, Function<Change, Void> body) {
    return storage.write(txn -> {
      if (applied.find(txn, op, kind).isPresent()) {
        return new Mutation<Void>(null, List.of());
      }
      Mutation<Void> m = change(txn, body);
      applied.record(txn, op, kind, new Ok(), nowMillis);
      return m;
    });
  }

  private <T> Mutation<T> change(WriteTxn txn, Function<Change, T> body) {
    // Fresh state per attempt: the storage may run the write callback again after growing the map.
    Change c = new Change(txn);
    T result = body.apply(c);
    c.finish();
    return new Mutation<>(result, List.copyOf(c.events));
  }

  private static FileAttr attrOf(OperationId op, Reply recorded) {
    if (recorded instanceof AttrReply a) {
      return a.attr();
    }
    throw new OutpostException(ErrorCode.INTERNAL, "operation " + op + " is recorded with a "
        + recorded.getClass().getSimpleName() + ", not attributes (run fsck)");
  }

  @Override
  public InodeRange reserveInodes(long originator, int count, long nowMillis) {
    if (originator == 0 || count < 1 || count > ReserveInodes.MAX_COUNT) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "reserve 1.." + ReserveInodes.MAX_COUNT
          + " inodes for a non-zero originator, not " + count + " for " + Long.toHexString(originator));
    }
    return storage.write(txn -> {
      long first = getLong(txn, META_NEXT_INODE);
      InodeRange range = reservations.reserve(txn, originator, first, count, nowMillis);
      putLong(txn, META_NEXT_INODE, range.end());
      return range;
    });
  }

  @Override
  public Optional<Reply> applied(OperationId op, Class<? extends dev.outpost.protocol.Mutation> kind) {
    if (op.isNone()) {
      return Optional.empty();
    }
    return storage.read(txn -> applied.find(txn, op, kind));
  }

  /** One write transaction's journal entries and the tree edits that go with them. */
  private final class Change {
    final WriteTxn txn;
    final List<ChangeEvent> events = new ArrayList<>();
    private long seq;

    Change(WriteTxn txn) {
      this.txn = txn;
      this.seq = getLong(txn, META_SEQ);
    }

    void emit(long inode, String path, String fromPath, long version, ChangeKind kind) {
      ChangeEvent e = new ChangeEvent(++seq, inode, path, fromPath, version, kind);
      journal.put(txn, e.seq(), e);
      events.add(e);
    }

    /** A number from the inode counter. */
    long nextInode() {
      long inode = getLong(txn, META_NEXT_INODE);
      putLong(txn, META_NEXT_INODE, inode + 1);
      return inode;
    }

    /** {@code requested} claimed from {@code op}'s originator's reservations, or the next number if 0. */
    long inodeFor(OperationId op, long requested, long nowMillis) {
      if (requested == 0) {
        return nextInode();
      }
      reservations.claim(txn, op.originator(), requested, nowMillis);
      if (inodes.contains(txn, new NodeKey(LIVE_TREE, requested))) {
        throw new OutpostException(ErrorCode.INTERNAL, "reserved inode " + requested + " is in use (run fsck)");
      }
      return requested;
    }

    /** Links the new inode {@code inode} under {@code parent}; returns its attributes. */
    FileAttr add(Node parent, String name, InodeRecord rec, String path, long inode, long nowMillis) {
      inodes.put(txn, new NodeKey(LIVE_TREE, inode), rec);
      dirents.put(txn, new EntryKey(LIVE_TREE, parent.inode(), name), inode);
      touchDirectory(parent, nowMillis);
      emit(inode, path, "", rec.version(), ChangeKind.CREATED);
      return rec.toAttr(inode);
    }

    void remove(Node node, String path, long nowMillis) {
      Node parent = new Node(node.record().parent(), record(txn, LIVE_TREE, node.record().parent(), path));
      dirents.delete(txn, new EntryKey(LIVE_TREE, parent.inode(), VolumePath.name(path)));
      inodes.delete(txn, new NodeKey(LIVE_TREE, node.inode()));
      touchDirectory(parent, nowMillis);
      emit(node.inode(), path, "", node.record().version(), ChangeKind.REMOVED);
    }

    /** A directory whose entries changed: next version, mtime now. */
    void touchDirectory(Node dir, long nowMillis) {
      InodeRecord current = record(txn, LIVE_TREE, dir.inode(), "inode " + dir.inode());
      inodes.put(txn, new NodeKey(LIVE_TREE, dir.inode()), current.touched(nowMillis));
    }

    void finish() {
      if (events.isEmpty()) {
        return;
      }
      putLong(txn, META_SEQ, seq);
      long oldest = getLong(txn, META_OLDEST_SEQ);
      long keepFrom = Math.max(oldest, seq - journalRetainEvents + 1);
      for (long s = oldest; s < keepFrom; s++) {
        journal.delete(txn, s);
      }
      if (keepFrom != oldest) {
        putLong(txn, META_OLDEST_SEQ, keepFrom);
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
