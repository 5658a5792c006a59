package dev.outpost.origin.volume;

import dev.outpost.core.BlockId;
import dev.outpost.core.RootRef;
import dev.outpost.core.BlockRef;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.SnapshotInfo;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * The authoritative volume: directory tree, file versions, root references, the change journal, snapshots
 * and the ciphertext block store, all in one LMDB environment. It never sees plaintext or keys.
 *
 * <p>Thread safety: reads may run on any thread concurrently (each is one short LMDB read transaction).
 * Mutations are serialised (one LMDB writer) and each is durable (synced) before it returns. A snapshot
 * name of {@code ""} means the live tree. Paths are absolute and already valid per
 * {@link dev.outpost.core.VolumePath}.
 *
 * <p>Errors are {@link dev.outpost.core.OutpostException}s: NOT_FOUND (path or snapshot), ALREADY_EXISTS,
 * NOT_A_DIRECTORY, IS_A_DIRECTORY, DIRECTORY_NOT_EMPTY, INVALID_ARGUMENT, CONFLICT (as
 * {@code dev.outpost.transport.ConflictException} with the current attributes), MISSING_BLOCKS,
 * BLOCK_CORRUPT, NO_SPACE.
 *
 * <p>Exactly once: a mutation carrying an {@link OperationId} is recorded with its result in the transaction
 * that applies it, and the same id again is answered with that result and changes nothing.
 *
 * <p>Journal semantics: every event names the entry that changed. A directory whose entries change
 * (create, mkdir, symlink, unlink, rmdir, rename in or out) gets a new version and mtime but no event of its
 * own: a subscriber treats CREATED, REMOVED and RENAMED as a change of the parent directory too (of both
 * parents for RENAMED). A rename replacing an existing entry appends REMOVED (the replaced inode) then
 * RENAMED; renaming a directory appends one RENAMED for the whole subtree.
 */
public interface Volume extends AutoCloseable {

  /** Identity of the volume, fixed at init. */
  record Identity(String name, byte[] volumeId, long createdAtMillis) {}

  /**
   * What a mutation did.
   *
   * @param result the operation's answer (new attributes, or null for unlink/rmdir/rename)
   * @param events the journal entries it appended, in sequence order (to publish to subscribers)
   */
  record Mutation<T>(T result, List<ChangeEvent> events) {}

  Identity identity();

  /** The sequence number of the last journal entry (0 for a fresh volume). */
  long currentSeq();

  /** The oldest sequence still in the journal; a subscriber asking for anything older must RESYNC. */
  long oldestRetainedSeq();

  // ---- namespace reads ----

  FileAttr getAttr(String snapshot, String path);

  FileAttr lookup(String snapshot, long parentInode, String name);

  /** Entries in name order strictly after {@code startAfter} ("" = from the start), at most {@code maxEntries}. */
  DirPage readDir(String snapshot, String path, String startAfter, int maxEntries);

  String readLink(String snapshot, String path);

  // ---- namespace mutations (each one durable LMDB transaction) ----
  //
  // Each takes the operation id of the request. One that carries an id and was applied before is answered
  // with the result recorded then and changes nothing (no event, no version); every success is recorded in
  // the same transaction as its change (see applied). The overloads without an id do not deduplicate.

  /**
   * The reply recorded when {@code op} was applied, if it was (one short read transaction): a mutation whose
   * id has a reply must be answered with it before anything else is checked (leases, bases), since those
   * checks may fail now only because it was applied.
   *
   * @param kind the mutation asking
   * @throws dev.outpost.core.OutpostException STALE_OPERATION for an unrecorded id older than the sender's
   *     window ({@link OperationId#WINDOW}); INVALID_ARGUMENT if {@code op} was recorded for another kind
   */
  Optional<Reply> applied(OperationId op, Class<? extends dev.outpost.protocol.Mutation> kind);

  /**
   * Reserves {@code count} inode numbers for {@code originator} ({@link dev.outpost.protocol.ReserveInodes}): one
   * durable transaction taking them from the inode counter.
   *
   * @throws dev.outpost.core.OutpostException INVALID_ARGUMENT for a bad count or originator, or one that already
   *     holds {@link dev.outpost.protocol.ReserveInodes#MAX_RANGES} ranges; NO_SPACE if the volume keeps too many
   */
  dev.outpost.protocol.InodeRange reserveInodes(long originator, int count, long nowMillis);

  /**
   * Creates an empty file; with {@code exclusive=false} an existing file is returned unchanged.
   *
   * @param inode 0 = numbered by the volume; otherwise one reserved for {@code op}'s originator and unused
   *     (INVALID_ARGUMENT if not), claimed in the same transaction
   */
  Mutation<FileAttr> create(OperationId op, String path, int mode, boolean exclusive, long inode, long nowMillis);

  /** As {@link #create(OperationId, String, int, boolean, long, long)}: {@code inode} 0 or reserved. */
  Mutation<FileAttr> mkdir(OperationId op, String path, int mode, long inode, long nowMillis);

  default Mutation<FileAttr> create(OperationId op, String path, int mode, boolean exclusive, long nowMillis) {
    return create(op, path, mode, exclusive, 0, nowMillis);
  }

  default Mutation<FileAttr> mkdir(OperationId op, String path, int mode, long nowMillis) {
    return mkdir(op, path, mode, 0, nowMillis);
  }

  Mutation<Void> unlink(OperationId op, String path, long nowMillis);

  Mutation<Void> rmdir(OperationId op, String path, long nowMillis);

  /** Atomic rename within the volume, replacing an existing file (not a non-empty directory) at {@code to}. */
  Mutation<Void> rename(OperationId op, String from, String to, long nowMillis);

  /** Mode, mtime, and size — size only to 0 (drops the root); other sizes are written by a commit. */
  Mutation<FileAttr> setAttr(OperationId op, String path, OptionalInt mode, OptionalLong mtimeMillis,
      OptionalLong size, long nowMillis);

  /** As {@link #create(OperationId, String, int, boolean, long, long)}: {@code inode} 0 or reserved. */
  Mutation<FileAttr> symlink(OperationId op, String path, String target, long inode, long nowMillis);

  default Mutation<FileAttr> symlink(OperationId op, String path, String target, long nowMillis) {
    return symlink(op, path, target, 0, nowMillis);
  }

  /**
   * Installs a new version of a file. {@code baseVersion} must be the current version (0 = create the file
   * if absent; CONFLICT if it exists); {@code inode != 0} must match. Every block the root references
   * (walking index blocks' public parts) must be present, else MISSING_BLOCKS naming them.
   */
  Mutation<FileAttr> commit(OperationId op, String path, long inode, long baseVersion, Optional<RootRef> root,
      long size, long mtimeMillis, long nowMillis);

  default Mutation<FileAttr> create(String path, int mode, boolean exclusive, long nowMillis) {
    return create(OperationId.NONE, path, mode, exclusive, nowMillis);
  }

  default Mutation<FileAttr> mkdir(String path, int mode, long nowMillis) {
    return mkdir(OperationId.NONE, path, mode, nowMillis);
  }

  default Mutation<Void> unlink(String path, long nowMillis) {
    return unlink(OperationId.NONE, path, nowMillis);
  }

  default Mutation<Void> rmdir(String path, long nowMillis) {
    return rmdir(OperationId.NONE, path, nowMillis);
  }

  default Mutation<Void> rename(String from, String to, long nowMillis) {
    return rename(OperationId.NONE, from, to, nowMillis);
  }

  default Mutation<FileAttr> setAttr(String path, OptionalInt mode, OptionalLong mtimeMillis, OptionalLong size,
      long nowMillis) {
    return setAttr(OperationId.NONE, path, mode, mtimeMillis, size, nowMillis);
  }

  default Mutation<FileAttr> symlink(String path, String target, long nowMillis) {
    return symlink(OperationId.NONE, path, target, nowMillis);
  }

  default Mutation<FileAttr> commit(String path, long inode, long baseVersion, Optional<RootRef> root, long size,
      long mtimeMillis, long nowMillis) {
    return commit(OperationId.NONE, path, inode, baseVersion, root, size, mtimeMillis, nowMillis);
  }

  // ---- journal ----

  /**
   * Journal entries with seq > {@code afterSeq} whose path (or fromPath) lies under {@code prefix}, up to
   * {@code max}.
   *
   * @throws dev.outpost.core.OutpostException RESYNC if entries after {@code afterSeq} were trimmed (this can
   *     race with a check of {@link #oldestRetainedSeq()}: catch it) or if {@code afterSeq > currentSeq()}
   */
  List<ChangeEvent> journalAfter(long afterSeq, String prefix, int max);

  // ---- blocks ----

  /** Stores a block after checking SHA-256(cipher) == id (BLOCK_CORRUPT otherwise, nothing stored). */
  boolean putBlock(BlockId id, java.nio.ByteBuffer cipher);

  /**
   * Checks a block's length, type byte, index public part and SHA-256(cipher) == id, without touching the
   * store: the CPU-heavy half of {@link #putBlock}, to run off the writer thread.
   *
   * @throws dev.outpost.core.OutpostException INVALID_ARGUMENT for a bad length, BLOCK_CORRUPT otherwise
   */
  VerifiedBlock verifyBlock(BlockId id, java.nio.ByteBuffer cipher);

  /**
   * Stores verified blocks and refreshes the GC touch time of {@code touch} ids that are present, all in one
   * durable write transaction (one sync for the whole batch): all or nothing.
   *
   * @return how many blocks were new
   * @throws dev.outpost.core.OutpostException NO_SPACE if the batch does not fit
   */
  int putBlocks(List<VerifiedBlock> blocks, Collection<BlockId> touch);

  /** The ids among {@code ids} the store lacks; present ones are touched so GC's grace period restarts. */
  List<BlockId> missingBlocks(Collection<BlockId> ids);

  /**
   * The ids among {@code ids} the store lacks, in one read transaction: touches nothing (the caller touches
   * the present ones later through {@link #putBlocks}).
   */
  List<BlockId> absentBlocks(Collection<BlockId> ids);

  /** A copy of a block's ciphertext into a Netty buffer the caller owns, or empty. */
  Optional<io.netty.buffer.ByteBuf> getBlock(BlockId id, io.netty.buffer.ByteBufAllocator alloc);

  // ---- snapshots ----

  /** Freezes the whole tree at the current sequence under {@code name} (no block copies). */
  Mutation<SnapshotInfo> createSnapshot(String name, long nowMillis);

  List<SnapshotInfo> listSnapshots();

  void deleteSnapshot(String name);

  /**
   * Streams every block id (data and index) referenced by files under {@code prefix} in {@code snapshot}
   * ("" = live), each at most once per call, in batches handed to {@code sink}.
   */
  void listBlocks(String snapshot, String prefix, int batchSize, Consumer<List<BlockRef>> sink);

  /**
   * What changed under {@code prefix} from tree {@code base} to tree {@code target} (each a snapshot name or ""
   * for live), in path order; see {@link dev.outpost.protocol.PathChange} for the kinds.
   *
   * @throws dev.outpost.core.OutpostException NOT_FOUND for an unknown snapshot, or a prefix in neither tree
   */
  List<dev.outpost.protocol.PathChange> diffPaths(String base, String target, String prefix);

  /**
   * Streams every block id (data and index) referenced by a file under {@code prefix} in {@code target} and by
   * no file under {@code prefix} in {@code base}, each once, in batches handed to {@code sink} (never inside a
   * transaction).
   *
   * @throws dev.outpost.core.OutpostException NOT_FOUND as {@link #diffPaths}
   */
  void diffBlocks(String base, String target, String prefix, int batchSize, Consumer<List<BlockRef>> sink);

  // ---- maintenance ----

  /**
   * Deletes blocks no live version or snapshot references and untouched for {@code graceMillis}, and forgets
   * the senders of operation ids not seen for 30 days (with their recorded replies).
   */
  GcReport collectGarbage(long graceMillis, long nowMillis);

  /**
   * @param originatorsDropped senders of operation ids forgotten because they were idle for 30 days
   */
  record GcReport(long blocksKept, long blocksFreed, long bytesFreed, long originatorsDropped) {}

  /**
   * A block whose id, length and format {@link #verifyBlock} checked; only these reach {@link #putBlocks}.
   * It lends the caller's buffer (never copied, never released here): the caller keeps it alive until the
   * block is stored or dropped.
   */
  final class VerifiedBlock {
    private final BlockId id;
    private final java.nio.ByteBuffer cipher;

    VerifiedBlock(BlockId id, java.nio.ByteBuffer cipher) {
      this.id = id;
      this.cipher = cipher;
    }

    public BlockId id() {
      return id;
    }

    /** A read-only view of the ciphertext. */
    public java.nio.ByteBuffer cipher() {
      return cipher.asReadOnlyBuffer();
    }

    public int bytes() {
      return cipher.remaining();
    }
  }

  /** Checks every invariant (dirents ↔ inodes, referenced blocks present, counters); problems as lines. */
  List<String> fsck();

  @Override
  void close();
}
