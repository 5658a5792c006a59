package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Resync;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.SubscribeAck;
import dev.outpost.protocol.Unsubscribe;
import dev.outpost.transport.ConnectionLostException;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcLink;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live change subscription from {@link OutpostClient#watch}. Events reach the listener on the watch's own
 * thread, in order. {@link #close()} unsubscribes. Thread-safe.
 *
 * <p>It outlives the connection: when the connection is lost the listener hears
 * {@link ChangeListener#onSuspended}, and once the client has reconnected the watch subscribes again from the
 * last event it received, so the events in between are replayed from the journal (then
 * {@link ChangeListener#onStart}), or, if the journal no longer holds them, {@link ChangeListener#onResync}.
 * Only an error from the server or the client's close ends it ({@link ChangeListener#onError}).
 */
public final class Watch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Watch.class);

  private final RpcLink link;
  private final String prefix;
  private final ChangeListener listener;
  private final ExecutorService delivery;
  private final long unsubscribeWaitMillis;
  private final Consumer<RpcLink.Generation> onUp = this::subscribe;
  /** Delivered to the listener (read by callers). */
  private final AtomicLong lastSeq;
  /** Received from the server (ahead of lastSeq by what waits for delivery): where a resubscription starts. */
  private final AtomicLong receivedSeq;
  // Guarded by this.
  private RpcLink.Generation subscribedOn;
  private int requestId;
  private boolean ended;
  private volatile boolean closed;

  Watch(RpcLink link, ChangeListener listener, long fromSeq, String prefix, long unsubscribeWaitMillis) {
    this.link = link;
    this.prefix = prefix;
    this.listener = listener;
    this.unsubscribeWaitMillis = unsubscribeWaitMillis;
    this.lastSeq = new AtomicLong(fromSeq);
    this.receivedSeq = new AtomicLong(fromSeq);
    this.delivery =
        Executors.newSingleThreadExecutor(Thread.ofPlatform().name("outpost-watch " + prefix).daemon().factory());
  }

  /** Subscribes now if the client is connected, else as soon as it is; and again after every reconnection. */
  void start() {
    link.onUp(onUp);
  }

  /** The sequence of the last event delivered (or the start position): where a new watch would resume. */
  public long lastSeq() {
    return lastSeq.get();
  }

  /** Unsubscribes and stops delivery; events already queued are dropped. */
  @Override
  public void close() {
    RpcLink.Generation on;
    int id;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      on = ended ? null : subscribedOn;
      id = requestId;
    }
    link.removeOnUp(onUp);
    if (on != null && on.rpc().isOpen()) {
      try {
        Futures.join(on.rpc().call(new Unsubscribe(id)).orTimeout(unsubscribeWaitMillis, TimeUnit.MILLISECONDS)
            .thenAccept(ReferenceCountUtil::release));
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

  /** Subscribes on {@code g} from the last event received, unless already subscribed there. */
  private synchronized void subscribe(RpcLink.Generation g) {
    if (closed || ended || (subscribedOn != null && subscribedOn.number() >= g.number())) {
      return;
    }
    boolean resumed = subscribedOn != null;
    subscribedOn = g;
    long from = receivedSeq.get();
    if (resumed) {
      log.info("change stream under {}: subscribing again after a reconnection, from seq {}", prefix, from);
    }
    // Never blocks; a connection already closed again fails the stream at once, into onError.
    requestId = g.rpc().stream(0, new Subscribe(from, prefix), new Stream(g));
  }

  /** The stream on {@code g} failed: wait for the next connection if it was lost, else the watch is over. */
  private synchronized void failed(RpcLink.Generation g, OutpostException error) {
    if (closed || ended || subscribedOn != g) {
      return; // stopped, or already subscribed again on a newer connection
    }
    if (link.isClosed()) {
      end(new OutpostException(ErrorCode.UNAVAILABLE, "the client is closed", error));
      return;
    }
    if (!(error instanceof ConnectionLostException)) {
      end(error);
      return;
    }
    deliver(() -> listener.onSuspended(error));
    // The link may be back already (its listener then ran before this failure): subscribe there now.
    link.current().ifPresent(this::subscribe);
  }

  private void end(OutpostException error) {
    ended = true;
    link.removeOnUp(onUp);
    deliver(() -> listener.onError(error));
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

  /** Runs on the event loop: only records the position and hands events over. */
  private final class Stream implements ReplyStream {
    private final RpcLink.Generation generation;

    Stream(RpcLink.Generation generation) {
      this.generation = generation;
    }

    @Override
    public void onReply(Reply reply, boolean last) {
      switch (reply) {
        case SubscribeAck ack -> deliver(() -> listener.onStart(ack.currentSeq()));
        case ChangeEvent e -> {
          receivedSeq.set(e.seq());
          deliver(() -> {
            lastSeq.set(e.seq());
            listener.onChange(e);
          });
        }
        case Resync r -> {
          receivedSeq.set(r.currentSeq());
          deliver(() -> {
            lastSeq.set(r.currentSeq());
            listener.onResync(r.currentSeq());
          });
        }
        default -> ReferenceCountUtil.release(reply);
      }
      if (last) {
        synchronized (Watch.this) {
          if (!closed && !ended && subscribedOn == generation) {
            end(new OutpostException(ErrorCode.UNAVAILABLE, "the server ended the watch"));
          }
        }
      }
    }

    @Override
    public void onError(OutpostException error) {
      failed(generation, error);
    }
  }
}
