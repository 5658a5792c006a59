package dev.outpost.proxy.attrs;

import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Resync;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.SubscribeAck;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.proxy.upstream.OriginLink;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcLink;
import dev.outpost.transport.ServerCall;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's subscription to the origin's change journal, and its fan-out to the proxy's own subscribers.
 *
 * <p>It subscribes from the last applied sequence, which is persisted in the cache's LMDB environment, so a
 * restarted or reconnected proxy resumes where it stopped; RESYNC (it fell behind the journal's retention)
 * drops every cached attribute. Cached attributes count as valid only while {@link #live()}: subscribed and
 * caught up to the sequence the origin acknowledged, so replayed events are applied before anything cached is
 * served again.
 *
 * <p>Client subscriptions whose start lies within the last {@code ringEvents} events are served here, without
 * a WAN stream per client; older ones are forwarded to the origin by the caller. Thread-safe: events are
 * applied and fanned out under this object's lock, in journal order.
 */
public final class ChangeSubscription {
  private static final Logger log = LoggerFactory.getLogger(ChangeSubscription.class);
  /** Key of the applied sequence in the cache's state table. */
  public static final String SEQ_KEY = "journal.seq";
  static final long RETRY_MILLIS = 1000;

  /** A client subscription served here; {@code behind} while its connection could not take more events. */
  private static final class Local {
    final ServerCall call;
    final String prefix;
    final long connectionId;
    final int requestId;
    boolean behind;

    Local(ServerCall call, String prefix, long connectionId, int requestId) {
      this.call = call;
      this.prefix = prefix;
      this.connectionId = connectionId;
      this.requestId = requestId;
    }

    ServerCall call() {
      return call;
    }

    String prefix() {
      return prefix;
    }

    long connectionId() {
      return connectionId;
    }

    int requestId() {
      return requestId;
    }
  }

  private record Awaiter(long seq, CompletableFuture<Void> done) {}

  private final OriginLink link;
  private final AttrCache attrs;
  private final BlockCache state;
  private final ProxyMetrics metrics;
  private final int ringEvents;
  private final ArrayDeque<ChangeEvent> ring = new ArrayDeque<>();
  private final List<Local> locals = new ArrayList<>();
  private final List<Awaiter> awaiters = new ArrayList<>();
  private long applied;
  private long ackSeq;
  private long originSeq;
  private boolean subscribed;
  private volatile boolean live;
  private long subscribedGeneration = -1;

  public ChangeSubscription(OriginLink link, AttrCache attrs, BlockCache state, ProxyMetrics metrics, int ringEvents) {
    this.link = link;
    this.attrs = attrs;
    this.state = state;
    this.metrics = metrics;
    this.ringEvents = ringEvents;
    this.applied = state.loadState(SEQ_KEY, 0);
    metrics.gauge(ProxyMetrics.SUBSCRIPTION_SEQ, this::appliedSeq);
    metrics.gauge(ProxyMetrics.SUBSCRIPTION_LAG, this::lag);
  }

  /**
   * Subscribes now and after every reconnect. A lost connection ends the stream (its error marks the
   * subscription not live) before the link reconnects.
   */
  public void start() {
    link.onUp(this::subscribe);
  }

  /**
   * True while cached attributes may be served without asking the origin: subscribed, caught up, and the link up
   * (the link learns of a closed connection a moment before the subscription's stream does).
   */
  public boolean live() {
    return live && link.isUp();
  }

  public synchronized long appliedSeq() {
    return applied;
  }

  /** How far behind the origin's journal (as last heard of) the applied position is. */
  public synchronized long lag() {
    return Math.max(0, originSeq - applied);
  }

  /** Completes once events up to {@code seq} are applied (or a RESYNC moved past it). */
  public CompletableFuture<Void> awaitApplied(long seq) {
    synchronized (this) {
      if (applied >= seq) {
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> f = new CompletableFuture<>();
      awaiters.add(new Awaiter(seq, f));
      return f;
    }
  }

  private void subscribe(RpcLink.Generation g) {
    long from;
    synchronized (this) {
      if (subscribedGeneration == g.number() && subscribed) {
        return;
      }
      subscribedGeneration = g.number();
      subscribed = true;
      live = false;
      from = applied;
      originSeq = Math.max(originSeq, g.welcome().journalSeq());
    }
    log.info("subscribing to the origin's changes from seq {}", from);
    g.rpc().stream(0, new Subscribe(from, VolumePath.ROOT), new ReplyStream() {
      @Override
      public void onReply(Reply reply, boolean last) {
        try {
          switch (reply) {
            case SubscribeAck a -> acked(a.currentSeq());
            case ChangeEvent e -> event(e);
            case Resync r -> resync(r.currentSeq());
            default -> { }
          }
        } finally {
          ReferenceCountUtil.release(reply);
        }
        if (last) {
          ended(g, null);
        }
      }

      @Override
      public void onError(OutpostException error) {
        ended(g, error);
      }
    });
  }

  private void ended(RpcLink.Generation g, OutpostException error) {
    synchronized (this) {
      if (subscribedGeneration != g.number()) {
        return;
      }
      subscribed = false;
      live = false;
    }
    if (g.rpc().isOpen()) {
      log.warn("change subscription ended ({}); retrying in {} ms", error == null ? "closed by origin" : error.getMessage(),
          RETRY_MILLIS);
      CompletableFuture.delayedExecutor(RETRY_MILLIS, TimeUnit.MILLISECONDS).execute(() -> {
        if (g.rpc().isOpen()) {
          subscribe(g);
        }
      });
    }
  }

  private synchronized void acked(long currentSeq) {
    ackSeq = currentSeq;
    originSeq = Math.max(originSeq, currentSeq);
    if (applied > currentSeq) {
      // Our position is from a history the origin does not have (restored origin): start over.
      resync(currentSeq);
      return;
    }
    live = applied >= ackSeq;
  }

  private synchronized void event(ChangeEvent e) {
    if (e.seq() <= applied) {
      return;
    }
    attrs.apply(e);
    applied = e.seq();
    originSeq = Math.max(originSeq, applied);
    state.saveState(SEQ_KEY, applied);
    ring.addLast(e);
    if (ring.size() > ringEvents) {
      ring.removeFirst();
    }
    for (Local l : locals) {
      if (l.behind || !matches(e, l.prefix())) {
        continue;
      }
      if (l.call().isWritable()) {
        l.call().more(e);
      } else {
        // A subscriber that stops reading must not make the proxy buffer without bound: it skips events and,
        // once it reads again, gets RESYNC (drop everything cached, revalidate), as the origin does.
        l.behind = true;
        l.call().whenWritable(() -> caughtUp(l));
      }
    }
    if (!live && applied >= ackSeq) {
      live = true;
    }
    wake();
  }

  private synchronized void resync(long currentSeq) {
    log.warn("origin says RESYNC at seq {} (we were at {}): dropping every cached attribute", currentSeq, applied);
    metrics.resync();
    attrs.invalidateAll();
    applied = currentSeq;
    ackSeq = currentSeq;
    originSeq = Math.max(originSeq, currentSeq);
    state.saveState(SEQ_KEY, applied);
    ring.clear();
    for (Local l : locals) {
      if (!l.behind) {
        l.call().more(new Resync(currentSeq));
      }
    }
    live = true;
    wake();
  }

  private synchronized void caughtUp(Local l) {
    if (l.behind && locals.contains(l) && l.call().isOpen()) {
      l.behind = false;
      l.call().more(new Resync(applied));
    }
  }

  private void wake() {
    for (Iterator<Awaiter> it = awaiters.iterator(); it.hasNext(); ) {
      Awaiter a = it.next();
      if (applied >= a.seq()) {
        it.remove();
        a.done().complete(null);
      }
    }
  }

  private static boolean matches(ChangeEvent e, String prefix) {
    return VolumePath.isUnder(e.path(), prefix)
        || (e.kind() == ChangeKind.RENAMED && VolumePath.isUnder(e.fromPath(), prefix));
  }

  /**
   * Serves a client's SUBSCRIBE from here if it starts within the events kept in memory and the proxy is live;
   * returns false if the caller must forward it to the origin instead.
   */
  public synchronized boolean subscribeLocally(ServerCall call, Subscribe s) {
    if (!live || s.fromSeq() > applied) {
      return false;
    }
    long oldest = ring.isEmpty() ? applied : ring.peekFirst().seq();
    if (s.fromSeq() < oldest - 1) {
      return false;
    }
    locals.add(new Local(call, s.prefix(), call.session().connectionId(), call.requestId()));
    call.more(new SubscribeAck(applied));
    for (ChangeEvent e : ring) {
      if (e.seq() > s.fromSeq() && matches(e, s.prefix())) {
        call.more(e);
      }
    }
    return true;
  }

  /** Ends a locally served subscription; false if it is not one of ours. */
  public synchronized boolean unsubscribeLocally(long connectionId, int subscribeRequestId) {
    for (Iterator<Local> it = locals.iterator(); it.hasNext(); ) {
      Local l = it.next();
      if (l.connectionId() == connectionId && l.requestId() == subscribeRequestId) {
        it.remove();
        l.call().reply(new Ok());
        return true;
      }
    }
    return false;
  }

  /** Forgets the local subscriptions of a closed connection. */
  public synchronized void connectionClosed(long connectionId) {
    locals.removeIf(l -> l.connectionId() == connectionId);
  }

  /** Local subscribers (tests, metrics). */
  public synchronized int localSubscribers() {
    return locals.size();
  }
}
