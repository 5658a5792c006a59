package dev.outpost.protocol;

import java.util.List;

/**
 * Creates a directory. Answered by {@link AttrReply}.
 *
 * @param path the new directory
 * @param mode permission bits, 0..07777
 * @param leaseToken see {@link Mutation#leaseToken()}; 0 = none
 * @param op see {@link Mutation#op()}
 */
public record Mkdir(String path, int mode, long leaseToken, OperationId op) implements Mutation {
  public Mkdir {
    Invariants.path(path);
    Invariants.mode(mode);
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
  }

  /** Without a lease token or an operation id. */
  public Mkdir(String path, int mode) {
    this(path, mode, 0, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(path);
  }

  @Override
  public Mkdir withOp(OperationId op) {
    return new Mkdir(path, mode, leaseToken, op);
  }
}
