package dev.outpost.proxy.upstream;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.BlockMissing;
import dev.outpost.protocol.Detach;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Welcome;
import dev.outpost.proxy.cache.BlockSource;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.transport.Backoff;
import dev.outpost.transport.Errors;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcClient;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's one multiplexed, pipelined connection to the origin. It says HELLO with the proxy's own token
 * (session 0: subscription and block fetches) and ATTACHes each client session once, lazily, with that
 * client's token, so the origin authorises the client itself. The connection is re-established with jittered
 * exponential backoff; client sessions are attached again on their first request after a reconnect.
 *
 * <p>Pushes the origin addresses to a client's upstream session (LEASE_RECALL to a lease holder) are handed to
 * the {@link #onClientPush} handler with the client they are for.
 *
 * <p>Thread-safe. Futures complete on the link's event loop: chain blocking work elsewhere.
 */
public final class OriginLink implements BlockSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OriginLink.class);

  /** One established connection; the number grows with every reconnect. */
  public record Generation(long number, RpcClient rpc, Welcome welcome) {}

  /** Where a client session is attached upstream, per generation. */
  private static final class Slot {
    final String token;
    long generation = -1;
    CompletableFuture<Integer> session;

    Slot(String token) {
      this.token = token;
    }
  }

  private final InetSocketAddress origin;
  private final RpcClient.Options options;
  private final EventLoopGroup group;
  private final String volume;
  private final Backoff backoff;
  private final long waitMillis;
  private final ProxyMetrics metrics;
  private final Map<ClientKey, Slot> slots = new ConcurrentHashMap<>();
  /** Which client each attached upstream session acts for, per generation (the inverse of the slots). */
  private final Map<UpstreamSession, ClientKey> clientsBySession = new ConcurrentHashMap<>();
  private volatile BiConsumer<ClientKey, Reply> clientPushes = (key, push) -> ReferenceCountUtil.release(push);
  private final List<Consumer<Generation>> upListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<LinkState>> stateListeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private volatile LinkState state = LinkState.DOWN;
  private volatile Generation current;
  private CompletableFuture<Generation> next = new CompletableFuture<>();
  private long generations;
  private int failures;
  private volatile boolean closed;

  /**
   * @param volume the volume the origin must serve (a proxy pointed at the wrong origin stays DOWN)
   * @param waitMillis how long a request waits for the link to come up before failing UNAVAILABLE
   */
  public OriginLink(InetSocketAddress origin, RpcClient.Options options, EventLoopGroup group, String volume,
      long initialBackoffMillis, long maxBackoffMillis, long waitMillis, ProxyMetrics metrics) {
    this.origin = origin;
    this.options = options;
    this.group = group;
    this.volume = volume;
    this.backoff = new Backoff(initialBackoffMillis, maxBackoffMillis);
    this.waitMillis = waitMillis;
    this.metrics = metrics;
    metrics.gauge(ProxyMetrics.LINK_STATE, () -> state.ordinal());
  }

  /** Starts connecting (in the background). */
  public void start() {
    connect();
  }

  public LinkState state() {
    return state;
  }

  /** Called with each new generation once it is UP (on the link's event loop; do not block). */
  public void onUp(Consumer<Generation> listener) {
    upListeners.add(listener);
    Generation g = current;
    if (g != null && state == LinkState.UP) {
      listener.accept(g);
    }
  }

  /** An upstream session of one generation. */
  private record UpstreamSession(long generation, int session) {}

  /**
   * Receives pushes the origin sent to a client's upstream session, with the client session they are for (on the
   * link's event loop; do not block). The handler owns the push. Pushes to the proxy's own session, or to a
   * session no longer known, are logged and released.
   */
  public void onClientPush(BiConsumer<ClientKey, Reply> handler) {
    this.clientPushes = handler;
  }

  /** Called on every state change. */
  public void onStateChange(Consumer<LinkState> listener) {
    stateListeners.add(listener);
  }

  /** The live generation, waiting up to the configured time for the link to come up. */
  public CompletableFuture<Generation> generation() {
    Generation g = current;
    if (g != null && state == LinkState.UP && g.rpc().isOpen()) {
      return CompletableFuture.completedFuture(g);
    }
    CompletableFuture<Generation> f;
    synchronized (lock) {
      f = next;
    }
    return f.copy().orTimeout(waitMillis, TimeUnit.MILLISECONDS).exceptionallyCompose(e -> CompletableFuture.failedFuture(
        e instanceof TimeoutException || e.getCause() instanceof TimeoutException
            ? new OutpostException(ErrorCode.UNAVAILABLE, "origin " + hostPort() + " is unreachable")
            : Errors.unwrap(e)));
  }

  /**
   * Sends {@code request} for the client session {@code key}, attaching it first if this generation has not.
   * The caller's request must hold no buffer the caller still needs: it is written to the origin.
   */
  public CompletableFuture<Reply> call(ClientKey key, String token, Request request) {
    long started = System.nanoTime();
    return generation()
        .thenCompose(g -> session(g, key, token).thenCompose(s -> g.rpc().call(s, request)))
        .whenComplete((r, e) -> metrics.originRoundTrip(System.nanoTime() - started));
  }

  /** A request on the proxy's own session (0). */
  public CompletableFuture<Reply> callAsProxy(Request request) {
    return generation().thenCompose(g -> g.rpc().call(0, request));
  }

  /** An upstream stream for a client session: the id of the upstream request, to unsubscribe with. */
  public record StreamHandle(Generation generation, int session, int requestId) {}

  /** Starts a streamed request for a client session; frames go to {@code stream}. */
  public CompletableFuture<StreamHandle> stream(ClientKey key, String token, Request request, ReplyStream stream) {
    return generation().thenCompose(g -> session(g, key, token)
        .thenApply(s -> new StreamHandle(g, s, g.rpc().stream(s, request, stream))));
  }

  /** Forgets a client's sessions (its connection closed) and detaches them upstream. */
  public void clientClosed(long connectionId) {
    slots.entrySet().removeIf(e -> {
      if (e.getKey().connectionId() != connectionId) {
        return false;
      }
      Slot slot = e.getValue();
      Generation g = current;
      CompletableFuture<Integer> s;
      long gen;
      synchronized (slot) {
        s = slot.session;
        gen = slot.generation;
      }
      if (s != null) {
        s.thenAccept(id -> clientsBySession.remove(new UpstreamSession(gen, id)));
      }
      if (g != null && s != null && gen == g.number() && g.rpc().isOpen() && !closed) {
        s.thenAccept(id -> g.rpc().call(0, new Detach(id)).whenComplete((r, err) -> ReferenceCountUtil.release(r)));
      }
      return true;
    });
  }

  /** Client sessions known to the link. */
  public int sessions() {
    return slots.size();
  }

  private CompletableFuture<Integer> session(Generation g, ClientKey key, String token) {
    Slot slot = slots.computeIfAbsent(key, k -> new Slot(token));
    synchronized (slot) {
      boolean stale = slot.generation != g.number() || slot.session == null
          || slot.session.isCompletedExceptionally();
      if (stale) {
        slot.generation = g.number();
        slot.session = g.rpc().attach(slot.token);
        slot.session.thenAccept(id -> {
          clientsBySession.put(new UpstreamSession(g.number(), id), key);
          if (!slots.containsKey(key)) {
            clientsBySession.remove(new UpstreamSession(g.number(), id)); // the client left meanwhile
          }
        });
      }
      return slot.session;
    }
  }

  /**
   * Fetches on the proxy's own session. If the connection is lost mid-answer, the ids not yet answered are asked
   * again once on the next connection (reads are idempotent), so a WAN blip does not fail a client's read.
   */
  @Override
  public void fetch(List<BlockId> ids, Sink sink) {
    fetch(ids, sink, 1);
  }

  private void fetch(List<BlockId> ids, Sink sink, int retries) {
    generation().whenComplete((g, err) -> {
      if (err != null) {
        sink.done(Errors.unwrap(err));
        return;
      }
      // Touched only on g's event loop, where the stream's callbacks run.
      java.util.Set<BlockId> answered = new java.util.HashSet<>();
      g.rpc().stream(0, new GetBlocks(ids), new ReplyStream() {
        @Override
        public void onReply(Reply reply, boolean last) {
          try {
            switch (reply) {
              case BlockData d -> {
                byte[] bytes = new byte[d.cipher().readableBytes()];
                d.cipher().getBytes(d.cipher().readerIndex(), bytes);
                answered.add(d.id());
                sink.block(d.id(), bytes);
              }
              case BlockMissing m -> {
                answered.add(m.id());
                sink.missing(m.id());
              }
              default -> log.warn("origin answered GET_BLOCKS with {}", reply.getClass().getSimpleName());
            }
          } finally {
            ReferenceCountUtil.release(reply);
          }
          if (last) {
            sink.done(null);
          }
        }

        @Override
        public void onError(OutpostException error) {
          List<BlockId> rest = ids.stream().filter(id -> !answered.contains(id)).toList();
          if (error.code() == ErrorCode.UNAVAILABLE && retries > 0 && !rest.isEmpty() && !closed) {
            log.debug("origin connection lost during a block fetch; asking again for {} blocks", rest.size());
            fetch(rest, sink, retries - 1);
          } else {
            sink.done(error);
          }
        }
      });
    });
  }

  private void routePush(long generation, int session, Reply push) {
    ClientKey key = session == 0 ? null : clientsBySession.get(new UpstreamSession(generation, session));
    if (key == null) {
      log.debug("push {} for upstream session {} (generation {}) has no client; dropped",
          push.getClass().getSimpleName(), session, generation);
      ReferenceCountUtil.release(push);
      return;
    }
    clientPushes.accept(key, push);
  }

  private void connect() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      setState(LinkState.CONNECTING);
    }
    RpcClient.connectAsync(group, origin, options).whenComplete((rpc, err) -> {
      if (err == null && !volume.equals(rpc.welcome().volume())) {
        rpc.close();
        err = new OutpostException(ErrorCode.INVALID_ARGUMENT,
            "origin serves volume " + rpc.welcome().volume() + ", this proxy is for " + volume);
      }
      if (err != null) {
        failed(Errors.unwrap(err));
        return;
      }
      Generation g;
      CompletableFuture<Generation> ready;
      synchronized (lock) {
        if (closed) {
          rpc.close();
          return;
        }
        g = new Generation(++generations, rpc, rpc.welcome());
        long number = g.number();
        rpc.onPush((session, push) -> routePush(number, session, push));
        current = g;
        failures = 0;
        ready = next;
        setState(LinkState.UP);
      }
      if (g.number() > 1) {
        metrics.reconnect();
      }
      log.info("origin link up: {} (volume {}, journal seq {}, generation {})", hostPort(), g.welcome().volume(),
          g.welcome().journalSeq(), g.number());
      rpc.closed().thenRun(() -> lost(g));
      ready.complete(g);
      for (Consumer<Generation> l : upListeners) {
        try {
          l.accept(g);
        } catch (RuntimeException e) {
          log.warn("origin link listener failed", e);
        }
      }
    });
  }

  private void lost(Generation g) {
    clientsBySession.keySet().removeIf(u -> u.generation() == g.number());
    synchronized (lock) {
      if (current != g) {
        return;
      }
      current = null;
      next = new CompletableFuture<>();
      if (closed) {
        return;
      }
      setState(LinkState.DOWN);
    }
    log.warn("origin link to {} lost (generation {}); reconnecting", hostPort(), g.number());
    schedule();
  }

  private void failed(OutpostException e) {
    int n;
    synchronized (lock) {
      if (closed) {
        return;
      }
      n = ++failures;
      setState(LinkState.DOWN);
    }
    if (n == 1 || n % 10 == 0) {
      log.warn("cannot connect to origin {} (attempt {}): {}", hostPort(), n, e.getMessage());
    }
    schedule();
  }

  private void schedule() {
    long delay = backoff.delayMillis(failures);
    group.next().schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  private void setState(LinkState s) {
    if (state != s) {
      state = s;
      for (Consumer<LinkState> l : stateListeners) {
        try {
          l.accept(s);
        } catch (RuntimeException e) {
          log.warn("link state listener failed", e);
        }
      }
    }
  }

  private String hostPort() {
    return origin.getHostString() + ":" + origin.getPort();
  }

  @Override
  public void close() {
    Generation g;
    CompletableFuture<Generation> pending;
    synchronized (lock) {
      closed = true;
      g = current;
      current = null;
      pending = next;
      setState(LinkState.DOWN);
    }
    pending.completeExceptionally(new OutpostException(ErrorCode.UNAVAILABLE, "proxy is shutting down"));
    if (g != null) {
      g.rpc().close();
    }
  }
}
