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
import dev.outpost.proxy.cache.BlockSource;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.transport.Backoff;
import dev.outpost.transport.Errors;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.RpcLink;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's one multiplexed, pipelined connection to the origin, built on {@link RpcLink} (which connects,
 * notices a loss — reset, refusal, or silence past the heartbeat timeout — and reconnects with jittered
 * exponential backoff, checking the volume). It says HELLO with the proxy's own token (session 0: subscription
 * and block fetches) and ATTACHes each client session once per connection, lazily, with that client's token,
 * so the origin authorises the client itself. The proxy starts whether or not the origin is reachable.
 *
 * <p>Pushes the origin addresses to a client's upstream session (LEASE_RECALL to a lease holder) are handed to
 * the {@link #onClientPush} handler with the client they are for. How reachable the origin is, is kept by
 * {@link #health()}.
 *
 * <p>Thread-safe. Futures complete on the link's event loop: chain blocking work elsewhere.
 */
public final class OriginLink implements BlockSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OriginLink.class);

  /** Where a client session is attached upstream, per generation. */
  private static final class Slot {
    final String token;
    long generation = -1;
    CompletableFuture<Integer> session;

    Slot(String token) {
      this.token = token;
    }
  }

  private final RpcLink link;
  private final LinkHealth health;
  private final ProxyMetrics metrics;
  private final Map<ClientKey, Slot> slots = new ConcurrentHashMap<>();
  /** Which client each attached upstream session acts for, per generation (the inverse of the slots). */
  private final Map<UpstreamSession, ClientKey> clientsBySession = new ConcurrentHashMap<>();
  private volatile BiConsumer<ClientKey, Reply> clientPushes = (key, push) -> ReferenceCountUtil.release(push);

  /**
   * Starts connecting in the background and returns at once.
   *
   * @param options HELLO's token, TLS and the heartbeat
   * @param volume the volume the origin must serve (a proxy pointed at the wrong origin stays DISCONNECTED, the
   *     refusal as its last error)
   * @param waitMillis how long a request waits for the link to come up before failing UNAVAILABLE
   * @param graceMillis how long a lost link is DEGRADED before it is DISCONNECTED
   */
  public OriginLink(InetSocketAddress origin, RpcClient.Options options, EventLoopGroup group, String volume,
      Backoff backoff, long waitMillis, long graceMillis, Clock clock, ProxyMetrics metrics) {
    this.metrics = metrics;
    this.health = new LinkHealth(clock, System::nanoTime, graceMillis, group, metrics);
    this.link = RpcLink.start(group, origin, options, backoff, Duration.ofMillis(waitMillis), volume,
        new RpcLink.Listener() {
          @Override
          public void up(RpcLink.Generation g) {
            long number = g.number();
            g.rpc().onPush((session, push) -> routePush(number, session, push));
            if (number > 1) {
              metrics.reconnect();
            }
            health.up();
          }

          @Override
          public void lost(RpcLink.Generation g, String reason) {
            clientsBySession.keySet().removeIf(u -> u.generation() == g.number());
            health.lost(reason);
          }

          @Override
          public void attemptFailed(OutpostException error) {
            // A refusal is the server's bare message ("bad signature"): say who refused.
            String where = origin.getHostString() + ":" + origin.getPort();
            String message = String.valueOf(error.getMessage());
            health.attemptFailed(message.contains(where) ? message
                : where + " refused the connection: " + message + " (" + error.code() + ")");
          }

          @Override
          public void overdue(RpcLink.Generation g, boolean overdue) {
            health.overdue(overdue);
          }
        });
  }

  /** The link's state, its time and last error; the write-back log sets REPLAYING through it. */
  public LinkHealth health() {
    return health;
  }

  public LinkState state() {
    return health.state();
  }

  /**
   * True while a connection to the origin is established (requests go out now), as {@link #health()} has it: it
   * turns false with the state's change when the connection closes.
   */
  public boolean isUp() {
    return health.isUp();
  }

  /** Called with each new generation once it is up (on the link's event loop; do not block). */
  public void onUp(Consumer<RpcLink.Generation> listener) {
    link.onUp(listener);
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

  /** The live generation, waiting up to the configured time for the link to come up. */
  public CompletableFuture<RpcLink.Generation> generation() {
    return link.generation();
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
  public record StreamHandle(RpcLink.Generation generation, int session, int requestId) {}

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
      RpcLink.Generation g = link.current().orElse(null);
      CompletableFuture<Integer> s;
      long gen;
      synchronized (slot) {
        s = slot.session;
        gen = slot.generation;
      }
      if (s != null) {
        s.thenAccept(id -> clientsBySession.remove(new UpstreamSession(gen, id)));
      }
      if (g != null && s != null && gen == g.number() && g.rpc().isOpen()) {
        s.thenAccept(id -> g.rpc().call(0, new Detach(id)).whenComplete((r, err) -> ReferenceCountUtil.release(r)));
      }
      return true;
    });
  }

  /** Client sessions known to the link. */
  public int sessions() {
    return slots.size();
  }

  private CompletableFuture<Integer> session(RpcLink.Generation g, ClientKey key, String token) {
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
          if (error.code() == ErrorCode.UNAVAILABLE && retries > 0 && !rest.isEmpty() && !link.isClosed()) {
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

  /** Stops the link (those waiting for it fail UNAVAILABLE); the state becomes DISCONNECTED. */
  @Override
  public void close() {
    link.close();
    health.closed();
  }
}
