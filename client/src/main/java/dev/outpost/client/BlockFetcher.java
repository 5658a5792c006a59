package dev.outpost.client;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.BlockMissing;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.Reply;
import dev.outpost.transport.ConnectionLostException;
import dev.outpost.transport.Errors;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcLink;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * Fetches blocks with streamed GET_BLOCKS requests and opens each straight from the received network buffer:
 * large blocks on the worker pool (the event loop only moves bytes, and blocks of one read open in parallel),
 * blocks of at most {@value #INLINE_OPEN_MAX_BYTES} bytes on the event loop itself — opening one costs a few
 * microseconds, less than the hand-off to a worker, which would double a small file's latency. Many requests
 * may be in flight at once: the caller decides the window.
 *
 * <p>A GET_BLOCKS whose connection is lost before every block came is asked again for the blocks still missing,
 * once, on the next connection (reads are idempotent), so a reader — sequential, positional or an index walk —
 * goes on across a reconnection; if that fails too, the blocks' futures fail UNAVAILABLE.
 *
 * <p>Thread-safe. Results complete on a worker thread or the event loop.
 */
final class BlockFetcher {
  /** Blocks up to this size are opened on the event loop instead of a worker. */
  static final int INLINE_OPEN_MAX_BYTES = 16 << 10;

  /** One block wanted, and what to make of its ciphertext (a ByteBuffer valid only during the call). */
  record Want<T>(BlockId id, int cipherLength, Function<ByteBuffer, T> open) {}

  /** Asks for the unanswered blocks of a GET_BLOCKS once more after its connection was lost. */
  static final int RETRIES_AFTER_LOST_CONNECTION = 1;

  private final RpcLink link;
  private final Executor workers;
  /** Distinct block ids requested so far: lets tests check that a read fetches only what it needs. */
  private final java.util.concurrent.atomic.AtomicLong blocksRequested = new java.util.concurrent.atomic.AtomicLong();

  BlockFetcher(RpcLink link, Executor workers) {
    this.link = link;
    this.workers = workers;
  }

  /**
   * Sends one GET_BLOCKS for {@code wants} (at most {@link GetBlocks#MAX_IDS} distinct ids; an id wanted
   * twice is fetched once) and returns one future per want, in the same order.
   */
  <T> List<CompletableFuture<T>> fetch(List<Want<T>> wants) {
    Map<BlockId, List<Slot<T>>> byId = new LinkedHashMap<>();
    List<CompletableFuture<T>> results = new ArrayList<>(wants.size());
    for (Want<T> w : wants) {
      Slot<T> slot = new Slot<>(w, new CompletableFuture<>());
      byId.computeIfAbsent(w.id(), k -> new ArrayList<>(1)).add(slot);
      results.add(slot.future());
    }
    if (byId.isEmpty()) {
      return results;
    }
    blocksRequested.addAndGet(byId.size());
    send(byId, RETRIES_AFTER_LOST_CONNECTION);
    return results;
  }

  /** Asks for the blocks of {@code open} on the live connection (waiting a bounded time for one). */
  private <T> void send(Map<BlockId, List<Slot<T>>> open, int retries) {
    link.generation().whenComplete((g, err) -> {
      if (err != null) {
        failAll(open, Errors.unwrap(err));
      } else {
        g.rpc().stream(0, new GetBlocks(new ArrayList<>(open.keySet())), new Stream<>(open, retries));
      }
    });
  }

  private static <T> void failAll(Map<BlockId, List<Slot<T>>> open, OutpostException e) {
    for (List<Slot<T>> slots : open.values()) {
      fail(slots, e);
    }
    open.clear();
  }

  private static <T> void fail(List<Slot<T>> slots, OutpostException e) {
    for (Slot<T> s : slots) {
      s.future().completeExceptionally(e);
    }
  }

  long blocksRequested() {
    return blocksRequested.get();
  }

  /** One block, as {@link #fetch} of a single want. */
  <T> CompletableFuture<T> fetchOne(Want<T> want) {
    return fetch(List.of(want)).getFirst();
  }

  private record Slot<T>(Want<T> want, CompletableFuture<T> future) {}

  /** A worker task holding a buffer: run it, or discard it if the pool shuts down first (releases the buffer). */
  interface Discardable {
    void discard();
  }

  private static OutpostException closed() {
    return new OutpostException(ErrorCode.UNAVAILABLE, "client is closed");
  }

  /** Runs on the event loop: matches frames to slots and hands the bytes to the workers. */
  private final class Stream<T> implements ReplyStream {
    private final Map<BlockId, List<Slot<T>>> open;
    private final int retries;

    Stream(Map<BlockId, List<Slot<T>>> open, int retries) {
      this.open = open;
      this.retries = retries;
    }

    @Override
    public void onReply(Reply reply, boolean last) {
      try {
        switch (reply) {
          case BlockData data -> deliver(data);
          case BlockMissing missing -> {
            List<Slot<T>> slots = open.remove(missing.id());
            if (slots != null) {
              fail(slots, new OutpostException(ErrorCode.MISSING_BLOCKS,
                  "block " + missing.id() + " is missing at the server ("
                      + link.remoteAddress().getHostString() + ")"));
            }
          }
          default -> {
            ReferenceCountUtil.release(reply);
            failAll(new OutpostException(ErrorCode.PROTOCOL_VIOLATION,
                "unexpected " + reply.getClass().getSimpleName() + " in a GET_BLOCKS answer"));
          }
        }
      } finally {
        if (last && !open.isEmpty()) {
          failAll(new OutpostException(ErrorCode.PROTOCOL_VIOLATION,
              "the server's GET_BLOCKS answer ended without " + open.size() + " of the blocks"));
        }
      }
    }

    @Override
    public void onError(OutpostException error) {
      // A request that never left costs no retry; one that may have been answered in part asks for the rest.
      if (error instanceof ConnectionLostException lost && (retries > 0 || !lost.sent()) && !open.isEmpty()
          && !link.isClosed()) {
        Map<BlockId, List<Slot<T>>> rest = new LinkedHashMap<>(open);
        open.clear();
        send(rest, lost.sent() ? retries - 1 : retries);
        return;
      }
      failAll(error);
    }

    private void deliver(BlockData data) {
      List<Slot<T>> slots = open.remove(data.id());
      if (slots == null) {
        data.release();
        return;
      }
      int length = data.cipher().readableBytes();
      int expected = slots.getFirst().want().cipherLength();
      if (length != expected) {
        data.release();
        fail(slots, new OutpostException(ErrorCode.BLOCK_CORRUPT,
            "block " + data.id() + " has " + length + " bytes, its parent says " + expected));
        return;
      }
      if (length <= INLINE_OPEN_MAX_BYTES) {
        completeAll(slots, data);
        return;
      }
      try {
        workers.execute(new QueuedOpen(slots, data));
      } catch (RejectedExecutionException e) {
        data.release();
        fail(slots, closed());
      }
    }

    /** An open waiting for a worker; it owns the buffer until it runs or is discarded. */
    private final class QueuedOpen implements Runnable, Discardable {
      private final List<Slot<T>> slots;
      private final BlockData data;

      QueuedOpen(List<Slot<T>> slots, BlockData data) {
        this.slots = slots;
        this.data = data;
      }

      @Override
      public void run() {
        completeAll(slots, data);
      }

      @Override
      public void discard() {
        data.release();
        fail(slots, closed());
      }
    }

    private void completeAll(List<Slot<T>> slots, BlockData data) {
      try {
        for (Slot<T> s : slots) {
          complete(s, data);
        }
      } finally {
        data.release();
      }
    }

    private void complete(Slot<T> s, BlockData data) {
      try {
        ByteBuffer cipher = data.cipher().nioBuffer();
        s.future().complete(s.want().open().apply(cipher));
      } catch (RuntimeException e) {
        s.future().completeExceptionally(e);
      }
    }

    private void failAll(OutpostException e) {
      BlockFetcher.failAll(open, e);
    }
  }
}
