package dev.outpost.protocol;

import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Changes some attributes; an empty value leaves that attribute alone. Answered by {@link AttrReply}.
 *
 * @param path the entry
 * @param mode new permission bits, 0..07777
 * @param mtimeMillis new modification time
 * @param size new size (truncate or extend a file), not negative
 * @param leaseToken see {@link Mutation#leaseToken()}; 0 = none
 * @param op see {@link Mutation#op()}
 */
public record SetAttr(String path, OptionalInt mode, OptionalLong mtimeMillis, OptionalLong size, long leaseToken,
    OperationId op) implements Mutation {
  public SetAttr {
    Invariants.path(path);
    Invariants.present(mode, "mode");
    Invariants.present(mtimeMillis, "mtime");
    Invariants.present(size, "size");
    mode.ifPresent(Invariants::mode);
    size.ifPresent(s -> Invariants.atLeast(s, 0, "size"));
    Invariants.atLeast(leaseToken, 0, "lease token");
    Invariants.present(op, "operation id");
  }

  /** Without a lease token or an operation id. */
  public SetAttr(String path, OptionalInt mode, OptionalLong mtimeMillis, OptionalLong size) {
    this(path, mode, mtimeMillis, size, 0, OperationId.NONE);
  }

  @Override
  public List<String> paths() {
    return List.of(path);
  }

  @Override
  public SetAttr withOp(OperationId op) {
    return new SetAttr(path, mode, mtimeMillis, size, leaseToken, op);
  }
}
