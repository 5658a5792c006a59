package dev.outpost.protocol;

import java.util.List;

/**
 * Moves an entry, replacing a file at the destination. Answered by {@link Ok}.
 *
 * @param from the entry to move
 * @param to its new path
 * @param leaseToken see {@link Mutation#leaseToken()} (it must cover both paths); 0 = none
 * @param op see {@link Mutation#op()}
 */
public record Rename(String from, String to, long leaseToken, OperationId op) implements Mutation {
  public Rename {
    Invariants.path(from);
    Invariants.path(to);
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
  }

  /** Without a lease token or an operation id. */
  public Rename(String from, String to) {
    this(from, to, 0, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(from, to);
  }

  @Override
  public Rename withOp(OperationId op) {
    return new Rename(from, to, leaseToken, op);
  }
}
