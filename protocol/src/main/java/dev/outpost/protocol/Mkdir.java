package dev.outpost.protocol;

import java.util.List;

/**
 * Creates a directory. Answered by {@link AttrReply}.
 *
 * @param path the new directory
 * @param mode permission bits, 0..07777
 * @param inode 0 = the origin numbers it; otherwise an inode reserved for {@code op}'s originator (see
 *     {@link Create#inode()})
 * @param leaseToken see {@link Mutation#leaseToken()}; 0 = none
 * @param op see {@link Mutation#op()}
 */
public record Mkdir(String path, int mode, long inode, long leaseToken, OperationId op) implements Mutation {
  public Mkdir {
    Invariants.path(path);
    Invariants.mode(mode);
    Invariants.reservedInode(inode, op);
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
  }

  /** The origin numbers the directory. */
  public Mkdir(String path, int mode, long leaseToken, OperationId op) {
    this(path, mode, 0, leaseToken, op);
  }

  /** Without a lease token or an operation id. */
  public Mkdir(String path, int mode) {
    this(path, mode, 0, 0, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(path);
  }

  @Override
  public Mkdir withOp(OperationId op) {
    return new Mkdir(path, mode, inode, leaseToken, op);
  }
}
