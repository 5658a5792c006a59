package dev.outpost.protocol;

import java.util.List;

/**
 * Creates a symbolic link. Answered by {@link AttrReply}.
 *
 * @param path the new link
 * @param target what it points to: any non-empty string without NUL, at most 4096 bytes (not checked as a
 *     volume path: links may be relative)
 * @param inode 0 = the origin numbers it; otherwise an inode reserved for {@code op}'s originator (see
 *     {@link Create#inode()})
 * @param leaseToken see {@link Mutation#leaseToken()}; 0 = none
 * @param op see {@link Mutation#op()}
 */
public record Symlink(String path, String target, long inode, long leaseToken, OperationId op)
    implements Mutation {
  public Symlink {
    Invariants.path(path);
    Invariants.linkTarget(target);
    Invariants.reservedInode(inode, op);
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
  }

  /** The origin numbers the link. */
  public Symlink(String path, String target, long leaseToken, OperationId op) {
    this(path, target, 0, leaseToken, op);
  }

  /** Without a lease token or an operation id. */
  public Symlink(String path, String target) {
    this(path, target, 0, 0, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(path);
  }

  @Override
  public Symlink withOp(OperationId op) {
    return new Symlink(path, target, inode, leaseToken, op);
  }
}
