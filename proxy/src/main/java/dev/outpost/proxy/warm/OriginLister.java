package dev.outpost.proxy.warm;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.BlockRef;
import dev.outpost.protocol.BlockRefs;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.ListBlocks;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.SnapshotInfo;
import dev.outpost.protocol.SnapshotList;
import dev.outpost.protocol.Snapshots;
import dev.outpost.proxy.upstream.OriginLink;
import dev.outpost.transport.Errors;
import dev.outpost.transport.ReplyStream;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@link BlockLister} over the proxy's own session (0) of the origin link, with the proxy's token (read access).
 * LIST_BLOCKS batches arrive on the link's event loop and are queued for the calling thread.
 *
 * <p>Memory: the transport cannot pause one upstream stream, so a consumer slower than the origin buffers the
 * batches not yet handed over (36 bytes per block; a 100 GiB tree of 64 KiB blocks is ~60 MB).
 */
public final class OriginLister implements BlockLister {
  /** Stop checks and link loss are noticed within this. */
  private static final long POLL_MILLIS = 200;

  private final OriginLink link;
  private final long timeoutMillis;

  /** @param timeoutMillis how long a SNAPSHOT_LIST may take, and the longest silence within a listing */
  public OriginLister(OriginLink link, long timeoutMillis) {
    this.link = link;
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public List<SnapshotInfo> snapshots() {
    Reply r;
    try {
      r = link.callAsProxy(new SnapshotList()).get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutpostException(ErrorCode.UNAVAILABLE, "interrupted while listing snapshots", e);
    } catch (ExecutionException e) {
      throw Errors.unwrap(e.getCause());
    } catch (TimeoutException e) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, "the origin did not list its snapshots within "
          + timeoutMillis + " ms");
    }
    try {
      if (r instanceof Snapshots s) {
        return s.snapshots();
      }
      throw unexpected(r);
    } finally {
      ReferenceCountUtil.release(r);
    }
  }

  private sealed interface Item permits Batch, End, Failed {}

  private record Batch(List<BlockRef> refs) implements Item {}

  private record End() implements Item {}

  private record Failed(OutpostException error) implements Item {}

  @Override
  public void list(String snapshot, String prefix, Consumer<List<BlockRef>> batches, BooleanSupplier stop) {
    LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    ListBlocks request = new ListBlocks(snapshot, prefix);
    link.generation().whenComplete((g, err) -> {
      if (err != null) {
        queue.add(new Failed(Errors.unwrap(err)));
        return;
      }
      g.rpc().stream(0, request, new ReplyStream() {
        @Override
        public void onReply(Reply reply, boolean last) {
          try {
            switch (reply) {
              case BlockRefs refs -> queue.add(new Batch(refs.refs()));
              case ErrorReply e -> queue.add(new Failed(new OutpostException(e.code(), e.message())));
              default -> queue.add(new Failed(unexpected(reply)));
            }
          } finally {
            ReferenceCountUtil.release(reply);
          }
          if (last) {
            queue.add(new End());
          }
        }

        @Override
        public void onError(OutpostException error) {
          queue.add(new Failed(error));
        }
      });
    });
    long silentSince = System.nanoTime();
    while (!stop.getAsBoolean()) {
      Item item;
      try {
        item = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OutpostException(ErrorCode.UNAVAILABLE, "interrupted while listing blocks", e);
      }
      if (item == null) {
        if (System.nanoTime() - silentSince > TimeUnit.MILLISECONDS.toNanos(timeoutMillis)) {
          throw new OutpostException(ErrorCode.UNAVAILABLE, "the origin sent no block list for " + timeoutMillis
              + " ms");
        }
        continue;
      }
      silentSince = System.nanoTime();
      switch (item) {
        case Batch b -> {
          if (!b.refs().isEmpty()) {
            batches.accept(b.refs());
          }
        }
        case End e -> {
          return;
        }
        case Failed f -> throw f.error();
      }
    }
  }

  private static OutpostException unexpected(Reply r) {
    if (r instanceof ErrorReply e) {
      return new OutpostException(e.code(), e.message());
    }
    return new OutpostException(ErrorCode.PROTOCOL_VIOLATION, "origin answered with " + r.getClass().getSimpleName());
  }
}
