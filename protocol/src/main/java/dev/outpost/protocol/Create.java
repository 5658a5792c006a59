package dev.outpost.protocol;

import java.util.List;

/**
 * Creates an empty file. Answered by {@link AttrReply}.
 *
 * @param path the new file
 * @param mode permission bits, 0..07777
 * @param exclusive fail with ALREADY_EXISTS if the path exists; otherwise return the existing file
 * @param leaseToken see {@link Mutation#leaseToken()}; 0 = none
 * @param op see {@link Mutation#op()}
 */
public record Create(String path, int mode, boolean exclusive, long leaseToken, OperationId op) implements Mutation {
  public Create {
    Invariants.path(path);
    Invariants.mode(mode);
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
  }

  /** Without a lease token or an operation id. */
  public Create(String path, int mode, boolean exclusive) {
    this(path, mode, exclusive, 0, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(path);
  }

  @Override
  public Create withOp(OperationId op) {
    return new Create(path, mode, exclusive, leaseToken, op);
  }
}
