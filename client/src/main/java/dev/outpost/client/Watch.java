package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Resync;
import dev.outpost.protocol.SubscribeAck;
import dev.outpost.protocol.Unsubscribe;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcClient;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live change subscription from {@link OutpostClient#watch}. Events reach the listener on the watch's own
 * thread, in order. {@link #close()} unsubscribes. Thread-safe.
 */
public final class Watch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Watch.class);

  private final RpcClient rpc;
  private final ChangeListener listener;
  private final ExecutorService delivery;
  private final AtomicLong lastSeq;
  private volatile int requestId;
  private volatile boolean closed;

  Watch(RpcClient rpc, ChangeListener listener, long fromSeq, String prefix) {
    this.rpc = rpc;
    this.listener = listener;
    this.lastSeq = new AtomicLong(fromSeq);
    this.delivery = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "outpost-watch " + prefix);
      t.setDaemon(true);
      return t;
    });
  }

  void start(dev.outpost.protocol.Subscribe subscribe) {
    requestId = rpc.stream(0, subscribe, new Stream());
  }

  /** The sequence of the last event delivered (or the start position): where a new watch would resume. */
  public long lastSeq() {
    return lastSeq.get();
  }

  /** Unsubscribes and stops delivery; events already queued are dropped. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (rpc.isOpen()) {
      try {
        Futures.join(rpc.call(new Unsubscribe(requestId)).thenAccept(ReferenceCountUtil::release));
      } catch (OutpostException e) {
        log.debug("unsubscribe failed: {}", e.toString());
      }
    }
    delivery.shutdownNow();
    try {
      delivery.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void deliver(Runnable r) {
    try {
      delivery.execute(() -> {
        if (!closed) {
          try {
            r.run();
          } catch (RuntimeException e) {
            log.warn("change listener failed", e);
          }
        }
      });
    } catch (RejectedExecutionException e) {
      // Closed meanwhile: nothing more to deliver.
    }
  }

  /** Runs on the event loop: only hands events over. */
  private final class Stream implements ReplyStream {
    @Override
    public void onReply(Reply reply, boolean last) {
      switch (reply) {
        case SubscribeAck ack -> deliver(() -> listener.onStart(ack.currentSeq()));
        case ChangeEvent e -> deliver(() -> {
          lastSeq.set(e.seq());
          listener.onChange(e);
        });
        case Resync r -> deliver(() -> {
          lastSeq.set(r.currentSeq());
          listener.onResync(r.currentSeq());
        });
        default -> ReferenceCountUtil.release(reply);
      }
      if (last && !closed) {
        deliver(() -> listener.onError(new OutpostException(ErrorCode.UNAVAILABLE, "the server ended the watch")));
      }
    }

    @Override
    public void onError(OutpostException error) {
      if (!closed) {
        deliver(() -> listener.onError(error));
      }
    }
  }
}
