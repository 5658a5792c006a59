package dev.outpost.origin.volume;

import dev.outpost.core.BlockId;
import dev.outpost.core.BlockRef;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.core.VolumePath;
import dev.outpost.crypto.VolumeKey;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.SnapshotInfo;
import dev.outpost.store.BlockStoreStats;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.StorageConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Volume} in one durable LMDB environment under {@code dataDir/volume}.
 *
 * <p>Like lmdbjava's Env, it opens the environment and hands it to one class per concept, each owning its
 * tables (as a Dbi does) and taking the caller's transaction: {@link Namespace} (inodes and directory
 * entries), {@link Commits} (new file versions), {@link Journal} (the change log), {@link Blocks} (the
 * ciphertext store and GC touch times), {@link Snapshots}, {@link GarbageCollector}, {@link Fsck},
 * {@link AppliedOperations} (replies of mutations applied with an operation id), {@link InodeReservations}
 * (inode numbers handed out ahead, owned by the namespace) and {@link VolumeMeta}
 * (identity and counters). A mutation is one {@link Change} run by the {@link Writer}: tree change, version
 * bumps, journal entries, journal trim and the record of its operation id commit together or not at all.
 *
 * <p>Layout: the tree tables are keyed by a tree number first — 0 is the live tree, each snapshot has its
 * own number — so a snapshot is a copy of the live tree's metadata (never of blocks) and is deleted by
 * deleting its key range.
 *
 * <p>Thread-safe: reads run concurrently; writes are serialised by the storage; GC runs one at a time.
 */
public final class LmdbVolume implements Volume {
  /** Journal entries kept when none is configured. */
  public static final int DEFAULT_JOURNAL_RETAIN_EVENTS = 1_000_000;
  /** Most journal entries one {@link #journalAfter} call returns. */
  public static final int MAX_JOURNAL_BATCH = Journal.MAX_BATCH;
  /** Most block references one {@link #listBlocks} batch holds. */
  public static final int MAX_BLOCK_BATCH = Blocks.MAX_LIST_BATCH;
  static final String ENV_DIRECTORY = "volume";
  private static final int MAX_VOLUME_NAME_CHARS = 128;

  private static final Logger log = LoggerFactory.getLogger(LmdbVolume.class);

  final LmdbStorage storage;
  final VolumeMeta meta;
  final Journal journal;
  final AppliedOperations applied;
  final Namespace namespace;
  final Blocks blocks;
  final Commits commits;
  final Snapshots snapshots;
  private final Writer writer;
  private final GarbageCollector gc;
  final TreeDiff diff;
  private final Identity identity;

  private LmdbVolume(LmdbStorage storage, Clock clock, int journalRetainEvents, Optional<Identity> fresh) {
    this.storage = storage;
    this.meta = new VolumeMeta(storage);
    this.journal = new Journal(storage, meta, journalRetainEvents);
    this.applied = new AppliedOperations(storage);
    this.writer = new Writer(storage, journal, applied);
    this.namespace = new Namespace(storage, meta, writer);
    this.blocks = new Blocks(storage, clock);
    this.commits = new Commits(storage, namespace, blocks, writer);
    this.snapshots = new Snapshots(storage, meta, journal, namespace, writer);
    this.gc = new GarbageCollector(storage, namespace, blocks, applied);
    this.diff = new TreeDiff(storage, namespace, snapshots, blocks.trees);
    if (fresh.isPresent()) {
      initialise(fresh.get());
    }
    this.identity = storage.read(meta::identity)
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
      Optional<Identity> existing = meta.identity(txn);
      if (existing.isPresent()) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS,
            "a volume ('" + existing.get().name() + "') already exists in " + storage.directory());
      }
      meta.putIdentity(txn, id);
      journal.initialise(txn);
      snapshots.initialise(txn);
      namespace.initialise(txn, id.createdAtMillis());
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
    return storage.read(journal::currentSeq);
  }

  /** The oldest sequence in the journal, or {@code currentSeq() + 1} when the journal is empty. */
  @Override
  public long oldestRetainedSeq() {
    return storage.read(journal::oldestSeq);
  }

  /** Journal entries kept, as configured at open. */
  public int journalRetainEvents() {
    return journal.retainEvents();
  }

  // ---------------------------------------------------------------------------------------------------
  // namespace

  @Override
  public FileAttr getAttr(String snapshot, String path) {
    VolumePath.check(path);
    return storage.read(txn -> namespace.resolve(txn, snapshots.treeOf(txn, snapshot), path).attr());
  }

  @Override
  public FileAttr lookup(String snapshot, long parentInode, String name) {
    VolumePath.checkName(name);
    return storage.read(txn -> namespace.lookup(txn, snapshots.treeOf(txn, snapshot), parentInode, name));
  }

  @Override
  public DirPage readDir(String snapshot, String path, String startAfter, int maxEntries) {
    Namespace.checkReadDir(path, startAfter, maxEntries);
    return storage.read(txn -> namespace.readDir(txn, snapshots.treeOf(txn, snapshot), path, startAfter,
        maxEntries));
  }

  @Override
  public String readLink(String snapshot, String path) {
    VolumePath.check(path);
    return storage.read(txn -> namespace.readLink(txn, snapshots.treeOf(txn, snapshot), path));
  }

  @Override
  public Optional<Reply> applied(OperationId op, Class<? extends dev.outpost.protocol.Mutation> kind) {
    return writer.applied(op, kind);
  }

  @Override
  public InodeRange reserveInodes(long originator, int count, long nowMillis) {
    return namespace.reserveInodes(originator, count, nowMillis);
  }

  @Override
  public Mutation<FileAttr> create(OperationId op, String path, int mode, boolean exclusive, long inode,
      long nowMillis) {
    return namespace.create(op, path, mode, exclusive, inode, nowMillis);
  }

  @Override
  public Mutation<FileAttr> mkdir(OperationId op, String path, int mode, long inode, long nowMillis) {
    return namespace.mkdir(op, path, mode, inode, nowMillis);
  }

  @Override
  public Mutation<FileAttr> symlink(OperationId op, String path, String target, long inode, long nowMillis) {
    return namespace.symlink(op, path, target, inode, nowMillis);
  }

  @Override
  public Mutation<Void> unlink(OperationId op, String path, long nowMillis) {
    return namespace.unlink(op, path, nowMillis);
  }

  @Override
  public Mutation<Void> rmdir(OperationId op, String path, long nowMillis) {
    return namespace.rmdir(op, path, nowMillis);
  }

  @Override
  public Mutation<Void> rename(OperationId op, String from, String to, long nowMillis) {
    return namespace.rename(op, from, to, nowMillis);
  }

  @Override
  public Mutation<FileAttr> setAttr(OperationId op, String path, OptionalInt mode, OptionalLong mtimeMillis,
      OptionalLong size, long nowMillis) {
    return namespace.setAttr(op, path, mode, mtimeMillis, size, nowMillis);
  }

  @Override
  public Mutation<FileAttr> commit(OperationId op, String path, long inode, long baseVersion, Optional<RootRef> root,
      long size, long mtimeMillis, long nowMillis) {
    return commits.commit(op, path, inode, baseVersion, root, size, mtimeMillis, nowMillis);
  }

  // ---------------------------------------------------------------------------------------------------
  // journal

  /**
   * @throws OutpostException RESYNC if entries after {@code afterSeq} were already trimmed, or if
   *     {@code afterSeq} is beyond the journal (the volume was restored or replaced)
   */
  @Override
  public List<ChangeEvent> journalAfter(long afterSeq, String prefix, int max) {
    Journal.checkAfter(afterSeq, prefix, max);
    return storage.read(txn -> journal.after(txn, afterSeq, prefix, max));
  }

  // ---------------------------------------------------------------------------------------------------
  // blocks

  @Override
  public boolean putBlock(BlockId id, ByteBuffer cipher) {
    return putBlocks(List.of(verifyBlock(id, cipher)), List.of()) == 1;
  }

  @Override
  public VerifiedBlock verifyBlock(BlockId id, ByteBuffer cipher) {
    return blocks.verify(id, cipher);
  }

  @Override
  public int putBlocks(List<VerifiedBlock> batch, Collection<BlockId> touch) {
    return blocks.put(batch, touch);
  }

  @Override
  public List<BlockId> missingBlocks(Collection<BlockId> ids) {
    return blocks.missing(ids);
  }

  @Override
  public List<BlockId> absentBlocks(Collection<BlockId> ids) {
    return blocks.absent(ids);
  }

  @Override
  public Optional<ByteBuf> getBlock(BlockId id, ByteBufAllocator alloc) {
    return blocks.get(id, alloc);
  }

  /** Blocks stored and their total ciphertext bytes. */
  public BlockStoreStats blockStats() {
    return blocks.stats();
  }

  /**
   * Collects the roots under {@code prefix} in one read transaction (memory O(files under prefix)), then
   * walks their index trees outside it; {@code sink} never runs inside a transaction.
   */
  @Override
  public void listBlocks(String snapshot, String prefix, int batchSize, Consumer<List<BlockRef>> sink) {
    VolumePath.check(prefix);
    Objects.requireNonNull(sink, "sink");
    Blocks.checkListBatch(batchSize);
    List<RootRef> roots = storage.read(txn -> namespace.rootsUnder(txn, snapshots.treeOf(txn, snapshot), prefix));
    blocks.list(roots, batchSize, sink);
  }

  @Override
  public List<dev.outpost.protocol.PathChange> diffPaths(String base, String target, String prefix) {
    return diff.paths(base, target, prefix);
  }

  @Override
  public void diffBlocks(String base, String target, String prefix, int batchSize, Consumer<List<BlockRef>> sink) {
    Objects.requireNonNull(sink, "sink");
    Blocks.checkListBatch(batchSize);
    diff.blocks(base, target, prefix, batchSize, sink);
  }

  // ---------------------------------------------------------------------------------------------------
  // snapshots and maintenance

  @Override
  public Mutation<SnapshotInfo> createSnapshot(String name, long nowMillis) {
    return snapshots.create(name, nowMillis);
  }

  @Override
  public List<SnapshotInfo> listSnapshots() {
    return snapshots.list();
  }

  @Override
  public void deleteSnapshot(String name) {
    snapshots.delete(name);
  }

  @Override
  public GcReport collectGarbage(long graceMillis, long nowMillis) {
    return gc.collect(graceMillis, nowMillis);
  }

  @Override
  public List<String> fsck() {
    return new Fsck(storage, meta, journal, namespace, snapshots, blocks, applied).run();
  }

  @Override
  public void close() {
    storage.close();
  }

  @Override
  public String toString() {
    return "LmdbVolume[" + identity.name() + " in " + storage.directory() + "]";
  }
}
