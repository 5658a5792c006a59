package dev.outpost.origin.volume;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.core.VolumePath;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.origin.volume.Namespace.Node;
import dev.outpost.origin.volume.Volume.Mutation;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Reply;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.transport.ConflictException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Installing a new version of a file with optimistic concurrency: the base version (and inode) must be
 * current, and every block the new root references must be stored. The blocks a commit references are
 * touched in its transaction, so GC never sweeps a block a commit just revived (dedup).
 *
 * <p>Thread-safe: the checks read in short transactions, the install is one write.
 */
final class Commits {
  /** Missing block ids named in a MISSING_BLOCKS message. */
  static final int MAX_MISSING_LISTED = 20;

  private final LmdbStorage storage;
  private final Namespace namespace;
  private final Blocks blocks;
  private final Writer writer;

  Commits(LmdbStorage storage, Namespace namespace, Blocks blocks, Writer writer) {
    this.storage = storage;
    this.namespace = namespace;
    this.blocks = blocks;
    this.writer = writer;
  }

  Mutation<FileAttr> commit(OperationId op, String path, long inode, long baseVersion, Optional<RootRef> root,
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
    Optional<Reply> done = writer.applied(op, Commit.class);
    if (done.isPresent()) {
      return new Mutation<>(Writer.attrOf(op, done.get()), List.of());
    }
    // Cheap refusal first: a stale base should not cost the client an upload of blocks it will not need.
    storage.read(txn -> checkCommittable(txn, path, inode, baseVersion));
    // Walk the index blocks outside the writer: they are immutable, and the write below re-checks presence.
    List<BlockId> referenced = new ArrayList<>();
    Set<BlockId> missing = new LinkedHashSet<>();
    root.ifPresent(r -> blocks.trees.walk(r, new HashSet<>(), new BlockTrees.Visitor() {
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
    long touchedAt = blocks.nowMillis();
    return writer.attr(op, Commit.class, nowMillis, c -> {
      Optional<Node> existing = checkCommittable(c.txn(), path, inode, baseVersion);
      List<BlockId> absent = new ArrayList<>(missing);
      for (BlockId id : referenced) {
        if (!missing.contains(id) && !blocks.contains(c.txn(), id)) {
          absent.add(id);
        }
      }
      if (!absent.isEmpty()) {
        throw missingBlocks(path, absent);
      }
      // A commit may revive an old unreferenced block (dedup): touching it keeps a concurrent GC from
      // sweeping it between GC's mark and sweep.
      for (BlockId id : referenced) {
        blocks.touch(c.txn(), id, touchedAt);
      }
      if (existing.isEmpty()) {
        Node parent = namespace.resolveDirectory(c.txn(), VolumePath.parent(path), path);
        InodeRecord rec = new InodeRecord(FileType.FILE, 0644, size, mtimeMillis, 1, root, "", parent.inode());
        return namespace.add(c, parent, VolumePath.name(path), rec, path, namespace.nextInode(c), nowMillis);
      }
      return namespace.replaceContent(c, existing.get(), path, root, size, mtimeMillis);
    });
  }

  /**
   * The file a commit replaces (empty if it is to be created), after the conflict checks.
   *
   * @throws ConflictException if the base version or inode is not current
   */
  private Optional<Node> checkCommittable(ReadTxn txn, String path, long inode, long baseVersion) {
    Node parent = namespace.resolveDirectory(txn, VolumePath.parent(path), path);
    Optional<Node> child = namespace.child(txn, parent, VolumePath.name(path), path);
    if (child.isEmpty()) {
      if (baseVersion == 0 && inode == 0) {
        return Optional.empty();
      }
      throw new ConflictException("base version " + baseVersion + " of " + path + " but the file no longer exists",
          Optional.empty());
    }
    Node node = child.get();
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
}
