package dev.outpost.protocol;

import java.util.List;

/**
 * Creates an empty file. Answered by {@link AttrReply}.
 *
 * @param path the new file
 * @param mode permission bits, 0..07777
 * @param exclusive fail with ALREADY_EXISTS if the path exists; otherwise return the existing file
 * @param inode 0 = the origin numbers the new file; otherwise an inode reserved for {@code op}'s originator
 *     ({@link ReserveInodes}), so a file created while cut off from the origin keeps the number its content key
 *     was wrapped for
 * @param leaseToken see {@link Mutation#leaseToken()}; 0 = none
 * @param op see {@link Mutation#op()}
 */
public record Create(String path, int mode, boolean exclusive, long inode, long leaseToken, OperationId op)
    implements Mutation {
  public Create {
    Invariants.path(path);
    Invariants.mode(mode);
    Invariants.reservedInode(inode, op);
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
  }

  /** The origin numbers the file. */
  public Create(String path, int mode, boolean exclusive, long leaseToken, OperationId op) {
    this(path, mode, exclusive, 0, leaseToken, op);
  }

  /** Without a lease token or an operation id. */
  public Create(String path, int mode, boolean exclusive) {
    this(path, mode, exclusive, 0, 0, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(path);
  }

  @Override
  public Create withOp(OperationId op) {
    return new Create(path, mode, exclusive, inode, leaseToken, op);
  }
}
