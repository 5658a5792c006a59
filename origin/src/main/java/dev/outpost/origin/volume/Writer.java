package dev.outpost.origin.volume;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.volume.Volume.Mutation;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Reply;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.WriteTxn;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Runs a mutation as one durable write transaction: the tree edits, the journal entries of its {@link Change}
 * and the record of its operation id ({@link AppliedOperations}) commit together or not at all.
 *
 * <p>Thread-safe: writes are serialised by the storage.
 */
final class Writer {
  private final LmdbStorage storage;
  private final Journal journal;
  private final AppliedOperations applied;

  Writer(LmdbStorage storage, Journal journal, AppliedOperations applied) {
    this.storage = storage;
    this.journal = journal;
    this.applied = applied;
  }

  /** A mutation without an operation id (snapshots). */
  <T> Mutation<T> run(Function<Change, T> body) {
    return storage.write(txn -> change(txn, body));
  }

  /**
   * A mutation answered by its new attributes, applied at most once per operation id: a recorded id is
   * answered from the record and changes nothing; a success is recorded in the same transaction.
   */
  Mutation<FileAttr> attr(OperationId op, Class<? extends dev.outpost.protocol.Mutation> kind, long nowMillis,
      Function<Change, FileAttr> body) {
    return storage.write(txn -> {
      Optional<Reply> done = applied.find(txn, op, kind);
      if (done.isPresent()) {
        return new Mutation<>(attrOf(op, done.get()), List.of());
      }
      Mutation<FileAttr> m = change(txn, body);
      applied.record(txn, op, kind, new AttrReply(m.result()), nowMillis);
      return m;
    });
  }

  /** As {@link #attr} for a mutation answered by OK. */
  Mutation<Void> ok(OperationId op, Class<? extends dev.outpost.protocol.Mutation> kind, long nowMillis,
      Function<Change, Void> body) {
    return storage.write(txn -> {
      if (applied.find(txn, op, kind).isPresent()) {
        return new Mutation<Void>(null, List.of());
      }
      Mutation<Void> m = change(txn, body);
      applied.record(txn, op, kind, new Ok(), nowMillis);
      return m;
    });
  }

  /** The reply recorded for {@code op}, in one short read transaction. */
  Optional<Reply> applied(OperationId op, Class<? extends dev.outpost.protocol.Mutation> kind) {
    if (op.isNone()) {
      return Optional.empty();
    }
    return storage.read(txn -> applied.find(txn, op, kind));
  }

  /** The attributes a recorded reply holds. */
  static FileAttr attrOf(OperationId op, Reply recorded) {
    if (recorded instanceof AttrReply a) {
      return a.attr();
    }
    throw new OutpostException(ErrorCode.INTERNAL, "operation " + op + " is recorded with a "
        + recorded.getClass().getSimpleName() + ", not attributes (run fsck)");
  }

  private <T> Mutation<T> change(WriteTxn txn, Function<Change, T> body) {
    // Fresh state per attempt: the storage may run the write callback again after growing the map.
    Change c = new Change(txn, journal);
    T result = body.apply(c);
    c.finish();
    return new Mutation<>(result, c.events());
  }
}
