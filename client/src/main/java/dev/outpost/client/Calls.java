package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.Attach;
import dev.outpost.protocol.Detach;
import dev.outpost.protocol.DiffBlocks;
import dev.outpost.protocol.DiffPaths;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.HasBlocks;
import dev.outpost.protocol.Hello;
import dev.outpost.protocol.LeaseAcquire;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.LeaseRelease;
import dev.outpost.protocol.LeaseRenew;
import dev.outpost.protocol.ListBlocks;
import dev.outpost.protocol.Lookup;
import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Ping;
import dev.outpost.protocol.PutBlock;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.ReadLink;
import dev.outpost.protocol.ReserveInodes;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.SnapshotCreate;
import dev.outpost.protocol.SnapshotDelete;
import dev.outpost.protocol.SnapshotList;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.Unsubscribe;
import dev.outpost.transport.ConnectionLostException;
import dev.outpost.transport.Errors;
import dev.outpost.transport.RpcLink;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Single-answer requests over the client's {@link RpcLink}, with the reconnection rule: a request goes out on
 * the live connection, waiting up to the connect timeout for one while the link is down. If that connection is
 * lost before the answer, a request that never left is sent again on the next one; a request that may have left
 * is sent once more only if doing it twice is harmless ({@link #replayable}) — reads, uploads, and every
 * mutation, which carries an operation id from {@link OperationIds} so the origin applies it once and answers
 * the resend from its record. Anything else, or a resend whose connection is lost too, fails UNAVAILABLE
 * {@value #MAYBE_APPLIED}.
 *
 * <p>Thread-safe. Futures complete on the event loop. {@link #call(Request)} of a mutation may wait for an
 * operation id ({@link OperationIds#next()}): call it from a caller's thread.
 */
final class Calls {
  static final String MAYBE_APPLIED = "connection lost; the operation may or may not have been applied";
  /** Resends of a request that never left: each needs a fresh connection, so this only bounds a pathology. */
  private static final int MAX_UNSENT_RESENDS = 3;

  private final RpcLink link;
  private final OperationIds ids;

  Calls(RpcLink link, OperationIds ids) {
    this.link = link;
    this.ids = ids;
  }

  /** See {@link RpcLink#cancellations()}. */
  long cancellations() {
    return link.cancellations();
  }

  /** See {@link RpcLink#cancelledSince}. */
  Optional<OutpostException> cancelledSince(long count) {
    return link.cancelledSince(count);
  }

  /**
   * Sends {@code request}, which must hold no buffer: it may be written more than once. A mutation without an
   * operation id gets the next one, the same for every attempt.
   */
  CompletableFuture<Reply> call(Request request) {
    if (request instanceof Mutation m && m.op().isNone()) {
      OperationId op = ids.next();
      Mutation numbered = m.withOp(op);
      CompletableFuture<Reply> result = call(() -> numbered);
      result.whenComplete((reply, failure) -> ids.answered(op));
      return result;
    }
    return call(() -> request);
  }

  /**
   * Sends the request {@code make} returns, asking it again for each attempt (a request owning a buffer, such as
   * PUT_BLOCK, is consumed by each write).
   */
  CompletableFuture<Reply> call(Supplier<? extends Request> make) {
    CompletableFuture<Reply> result = new CompletableFuture<>();
    attempt(make, result, 1, MAX_UNSENT_RESENDS);
    return result;
  }

  /**
   * Whether sending {@code r} twice is the same as sending it once: reads, uploads named by their content, and
   * a mutation with an operation id (the origin answers the second from its record of the first). A mutation
   * without one is not (a second CREATE fails ALREADY_EXISTS, a second COMMIT conflicts with the first), nor
   * are leases and snapshots, nor anything bound to the connection it was sent on.
   */
  static boolean replayable(Request r) {
    return switch (r) {
      case GetAttr _, Lookup _, ReadDir _, ReadLink _, GetBlocks _, HasBlocks _, PutBlock _, ListBlocks _,
          DiffBlocks _, DiffPaths _, SnapshotList _, LeaseList _, Ping _ -> true;
      case Mutation m -> !m.op().isNone();
      case LeaseAcquire _, LeaseRenew _, LeaseRelease _, SnapshotCreate _, SnapshotDelete _ -> false;
      // A second reservation takes a second range.
      case ReserveInodes _ -> false;
      // Bound to the connection they were sent on: the handshake, its sessions and its subscriptions.
      case Hello _, Attach _, Detach _, Subscribe _, Unsubscribe _ -> false;
    };
  }

  private void attempt(Supplier<? extends Request> make, CompletableFuture<Reply> result, int replaysLeft,
      int unsentLeft) {
    link.generation().whenComplete((g, err) -> {
      if (err != null) {
        result.completeExceptionally(Errors.unwrap(err));
        return;
      }
      Request request = make.get();
      boolean replayable = replayable(request);
      g.rpc().call(request).whenComplete((reply, failure) -> {
        if (failure == null) {
          if (!result.complete(reply)) {
            ReferenceCountUtil.release(reply);
          }
          return;
        }
        OutpostException e = Errors.unwrap(failure);
        if (e instanceof ConnectionLostException lost && !link.isClosed()) {
          if (!lost.sent()) {
            if (unsentLeft > 0) {
              attempt(make, result, replaysLeft, unsentLeft - 1);
              return;
            }
          } else if (replayable && replaysLeft > 0) {
            attempt(make, result, replaysLeft - 1, unsentLeft);
            return;
          } else if (!replayable || request instanceof Mutation) {
            e = new OutpostException(ErrorCode.UNAVAILABLE, MAYBE_APPLIED, lost);
          }
        }
        result.completeExceptionally(e);
      });
    });
  }
}
