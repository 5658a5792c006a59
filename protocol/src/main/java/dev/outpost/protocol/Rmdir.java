package dev.outpost.protocol;

import java.util.List;

/**
 * Removes an empty directory. Answered by {@link Ok}.
 *
 * @param path the directory to remove
 * @param leaseToken see {@link Mutation#leaseToken()}; 0 = none
 * @param op see {@link Mutation#op()}
 */
public record Rmdir(String path, long leaseToken, OperationId op) implements Mutation {
  public Rmdir {
    Invariants.path(path);
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
  }

  /** Without a lease token or an operation id. */
  public Rmdir(String path) {
    this(path, 0, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(path);
  }

  @Override
  public Rmdir withOp(OperationId op) {
    return new Rmdir(path, leaseToken, op);
  }
}
