package dev.outpost.protocol;

import dev.outpost.core.RootRef;
import java.util.List;
import java.util.Optional;

/**
 * Publishes a new version of a file whose blocks the server already holds. Answered by {@link AttrReply}
 * with the new version, or an {@link ErrorReply}: CONFLICT (with the current attributes) when the base is
 * stale, FENCED when the lease token is not current, MISSING_BLOCKS when blocks were not uploaded.
 *
 * @param path the file
 * @param inode the inode the client believes the path has; 0 = don't check
 * @param baseVersion the version the edit started from; 0 = create the file if absent
 * @param root the new content; empty = an empty file (then {@code size} must be 0)
 * @param size plaintext size in bytes, not negative
 * @param mtimeMillis the new modification time
 * @param leaseToken the exclusive lease's fencing token; 0 = none held
 * @param op see {@link Mutation#op()}
 */
public record Commit(String path, long inode, long baseVersion, Optional<RootRef> root, long size,
    long mtimeMillis, long leaseToken, OperationId op) implements Mutation {
  public Commit {
    Invariants.path(path);
    Invariants.atLeast(inode, 0, "inode");
    Invariants.atLeast(baseVersion, 0, "base version");
    Invariants.present(root, "root");
    Invariants.atLeast(size, 0, "size");
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
    if (root.isEmpty() && size != 0) {
      throw Invariants.invalid("a commit without a root is an empty file, but size is " + size);
    }
  }

  /** Without an operation id. */
  public Commit(String path, long inode, long baseVersion, Optional<RootRef> root, long size, long mtimeMillis,
      long leaseToken) {
    this(path, inode, baseVersion, root, size, mtimeMillis, leaseToken, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(path);
  }

  @Override
  public Commit withOp(OperationId op) {
    return new Commit(path, inode, baseVersion, root, size, mtimeMillis, leaseToken, op);
  }

  /** The same commit against another base (a replayer rebases it on what the origin now holds). */
  public Commit withBase(long inode, long baseVersion) {
    return new Commit(path, inode, baseVersion, root, size, mtimeMillis, leaseToken, op);
  }
}
