package dev.outpost.protocol;

import java.util.List;

/**
 * Removes a file or symlink. Answered by {@link Ok}.
 *
 * @param path the entry to remove
 * @param leaseToken see {@link Mutation#leaseToken()}; 0 = none
 * @param op see {@link Mutation#op()}
 */
public record Unlink(String path, long leaseToken, OperationId op) implements Mutation {
  public Unlink {
    Invariants.path(path);
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
  }

  /** Without a lease token or an operation id. */
  public Unlink(String path) {
    this(path, 0, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(path);
  }

  @Override
  public Unlink withOp(OperationId op) {
    return new Unlink(path, leaseToken, op);
  }
}
