package dev.outpost.proxy.server;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.BlockIds;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.Attach;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.Detach;
import dev.outpost.protocol.DiffBlocks;
import dev.outpost.protocol.DiffPaths;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.LinkTarget;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.HasBlocks;
import dev.outpost.protocol.Hello;
import dev.outpost.protocol.LeaseAcquire;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.LeaseRelease;
import dev.outpost.protocol.LeaseRenew;
import dev.outpost.protocol.ListBlocks;
import dev.outpost.protocol.Lookup;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.Ping;
import dev.outpost.protocol.PutBlock;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.ReadLink;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.ReserveInodes;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.SnapshotCreate;
import dev.outpost.protocol.SnapshotDelete;
import dev.outpost.protocol.SnapshotList;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.protocol.Unsubscribe;
import dev.outpost.protocol.Welcome;
import dev.outpost.proxy.attrs.AttrCache;
import dev.outpost.proxy.attrs.ChangeSubscription;
import dev.outpost.proxy.attrs.OriginAttrs;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.cache.BlockFlights;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.proxy.upstream.ClientKey;
import dev.outpost.proxy.upstream.LinkState;
import dev.outpost.proxy.upstream.OriginLink;
import dev.outpost.transport.Errors;
import dev.outpost.transport.Principal;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RequestService;
import dev.outpost.transport.ServerCall;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's answer to every request, speaking to clients exactly as the origin does. Blocks come from the
 * LMDB cache (misses fetched once, verified, cached); GETATTR and READDIR of the live volume come from the
 * attribute cache while the change subscription is live; everything else is relayed to the origin on the
 * client's own upstream session, replies and error codes unchanged. A write relayed through here drops the
 * cached attributes it touches before its reply reaches the client (read-your-writes).
 *
 * <p>Threads: {@link #handle} runs on the client connection's event loop and only dispatches; LMDB reads and
 * hashing run on the reader pool, LMDB writes on the cache's writer thread.
 */
public final class ProxyService implements RequestService {
  private static final Logger log = LoggerFactory.getLogger(ProxyService.class);
  public static final String AGENT = "outpost-proxy/0.1";

  private record StreamKey(long connectionId, int requestId) {}

  private final String volume;
  private final OriginLink link;
  private final BlockCache cache;
  private final BlockFlights flights;
  private final AttrCache attrs;
  private final ChangeSubscription subscription;
  private final ProxyMetrics metrics;
  private final ExecutorService readers;
  private final Clock clock;
  private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
  private final Map<StreamKey, OriginLink.StreamHandle> forwardedStreams = new ConcurrentHashMap<>();
  /**
   * Per client session that asked for a lease: a call of that session, to push the origin's LEASE_RECALL through
   * ({@link ServerCall#push} works after the call ended, while the connection is open).
   */
  private final Map<ClientKey, ServerCall> leaseHolders = new ConcurrentHashMap<>();
  /** The leases this proxy's clients hold as last seen, for LEASE_LIST while the origin cannot be reached. */
  private final BranchLeases branchLeases;
  private final Prefetcher prefetcher;

  ProxyService(String volume, OriginLink link, BlockCache cache, BlockFlights flights, AttrCache attrs,
      ChangeSubscription subscription, ProxyMetrics metrics, ExecutorService readers, Clock clock,
      Prefetcher.Policy prefetch, OriginAttrs ahead) {
    this.prefetcher = new Prefetcher(prefetch, ahead, cache, flights, metrics, readers);
    this.volume = volume;
    this.link = link;
    this.cache = cache;
    this.flights = flights;
    this.attrs = attrs;
    this.subscription = subscription;
    this.metrics = metrics;
    this.readers = readers;
    this.clock = clock;
    this.branchLeases = new BranchLeases(clock);
  }

  @Override
  public Welcome welcome(int version) {
    return new Welcome(version, AGENT, volume, subscription.appliedSeq(), clock.millis());
  }

  @Override
  public void handle(ServerCall call, Request request) {
    metrics.request(request.getClass().getSimpleName());
    try {
      switch (request) {
        case Hello r -> throw misrouted(r);
        case Attach r -> throw misrouted(r);
        case Detach r -> throw misrouted(r);
        case Ping r -> throw misrouted(r);

        case GetAttr r -> getAttr(call, r);
        case ReadDir r -> readDir(call, r);
        case Lookup r -> forward(call, r, List.of(), false);
        case ReserveInodes r -> forward(call, r, List.of(), false);
        case ReadLink r -> readLink(call, r);
        case HasBlocks r -> forward(call, r, List.of(), false);
        case SnapshotList r -> forward(call, r, List.of(), false);
        case SnapshotCreate r -> forward(call, r, List.of(), false);
        case SnapshotDelete r -> forward(call, r, List.of(), false);
        case LeaseAcquire r -> {
          if (refusedOffline(call, "a lease on " + r.path() + " cannot be granted")) {
            return;
          }
          leaseHolders.put(key(call), call);
          forwardLease(call, r, 0, r.subtree());
        }
        case LeaseRenew r -> {
          if (refusedOffline(call, "the lease on " + r.path() + " (token " + r.token() + ") cannot be renewed")) {
            return;
          }
          leaseHolders.put(key(call), call);
          forwardLease(call, r, r.token(), false);
        }
        case LeaseRelease r -> forwardLease(call, r, r.token(), false);
        case LeaseList r -> {
          if (link.state() == LinkState.DISCONNECTED) {
            call.reply(branchLeases.list(r, link.health().status().since().toEpochMilli()));
          } else {
            forward(call, r, List.of(), false);
          }
        }

        case Create r -> forward(call, r, List.of(r.path()), false);
        case Mkdir r -> forward(call, r, List.of(r.path()), false);
        case Symlink r -> forward(call, r, List.of(r.path()), false);
        case SetAttr r -> forward(call, r, List.of(r.path()), false);
        case Commit r -> forward(call, r, List.of(r.path()), false);
        case Unlink r -> forward(call, r, List.of(r.path()), false);
        case Rmdir r -> forward(call, r, List.of(r.path()), true);
        case Rename r -> forward(call, r, List.of(r.from(), r.to()), true);

        case GetBlocks r -> {
          long arrived = System.nanoTime();
          onReaders(call, () -> new BlockStreamer(adapt(call, arrived), r.ids(), cache, flights, readers,
              metrics, alloc).start());
        }
        case PutBlock r -> putBlock(call, r);
        case ListBlocks r -> forwardStream(call, r, false);
        case DiffBlocks r -> forwardStream(call, r, false);
        case DiffPaths r -> forwardStream(call, r, false);
        case Subscribe r -> {
          if (!subscription.subscribeLocally(call, r)) {
            forwardStream(call, r, true);
          }
        }
        case Unsubscribe r -> unsubscribe(call, r);
      }
    } catch (RuntimeException e) {
      fail(call, e);
    }
  }

  /**
   * Delivers a push the origin sent to {@code client}'s upstream session (a LEASE_RECALL) to that client's own
   * connection and session. Takes ownership of {@code push}.
   */
  void pushToClient(ClientKey client, Reply push) {
    ServerCall target = leaseHolders.get(client);
    if (target == null || !target.isOpen()) {
      log.debug("push {} for client session {} which holds no lease here; dropped", push.getClass().getSimpleName(),
          client);
      ReferenceCountUtil.release(push);
      return;
    }
    target.push(push);
  }

  @Override
  public void connectionClosed(long connectionId) {
    leaseHolders.keySet().removeIf(k -> k.connectionId() == connectionId);
    subscription.connectionClosed(connectionId);
    forwardedStreams.entrySet().removeIf(e -> {
      if (e.getKey().connectionId() != connectionId) {
        return false;
      }
      OriginLink.StreamHandle h = e.getValue();
      if (h.generation().rpc().isOpen()) {
        h.generation().rpc().call(h.session(), new Unsubscribe(h.requestId()))
            .whenComplete((r, err) -> ReferenceCountUtil.release(r));
      }
      return true;
    });
    link.clientClosed(connectionId);
  }

  // ---- attributes ----

  private void getAttr(ServerCall call, GetAttr r) {
    long started = System.nanoTime();
    boolean cacheable = r.snapshot().isEmpty();
    if (cacheable && subscription.live()) {
      var hit = attrs.attr(r.path());
      if (hit.isPresent()) {
        metrics.attrHit();
        call.reply(hit.get());
        answered(started);
        return;
      }
    }
    metrics.attrMiss();
    long epoch = attrs.epoch();
    upstream(call, r).whenComplete((reply, err) -> {
      if (cacheable && err == null && reply instanceof AttrReply a) {
        attrs.putAttr(r.path(), a, epoch);
      } else if (cacheable && err != null && Errors.unwrap(err).code() == ErrorCode.NOT_FOUND) {
        // Tree walks and build tools probe for files that do not exist: remember the answer too.
        ErrorReply notFound = Errors.toReply(err);
        attrs.putAttr(r.path(), notFound, epoch);
        call.reply(notFound);
        answered(started);
        return;
      }
      relay(call, reply, err);
      answered(started);
    });
  }

  /** A symlink's cached attributes carry its target: answer from them, else ask the origin. */
  private void readLink(ServerCall call, ReadLink r) {
    long started = System.nanoTime();
    if (r.snapshot().isEmpty() && subscription.live()
        && attrs.attr(r.path()).orElse(null) instanceof AttrReply a && a.attr().type() == FileType.SYMLINK) {
      metrics.attrHit();
      call.reply(new LinkTarget(a.attr().linkTarget()));
      answered(started);
      return;
    }
    metrics.attrMiss();
    forward(call, r, List.of(), false);
  }

  private void readDir(ServerCall call, ReadDir r) {
    long started = System.nanoTime();
    boolean cacheable = r.snapshot().isEmpty();
    AttrCache.PageKey key = new AttrCache.PageKey(r.startAfter(), r.maxEntries());
    if (cacheable && subscription.live()) {
      var hit = attrs.page(r.path(), key);
      if (hit.isPresent()) {
        metrics.attrHit();
        DirPage page = hit.get();
        call.reply(page);
        answered(started);
        prefetchAfterListing(r, page);
        return;
      }
    }
    metrics.attrMiss();
    long epoch = attrs.epoch();
    upstream(call, r).whenComplete((reply, err) -> {
      DirPage listed = null;
      if (err == null && cacheable && reply instanceof DirPage p) {
        attrs.putListing(r.path(), key, p, epoch);
        listed = p;
      }
      relay(call, reply, err);
      answered(started);
      if (listed != null) {
        prefetchAfterListing(r, listed);
      }
    });
  }

  private void prefetchAfterListing(ReadDir r, DirPage page) {
    prefetcher.listed(r.path(), r.startAfter(), page);
  }

  Prefetcher prefetcher() {
    return prefetcher;
  }

  // ---- relaying ----

  /**
   * Relays a request; for a write, drops the cached attributes of {@code touched} (and with {@code subtree}
   * everything below them) before the client hears the answer, whatever it is: even a failed write may have
   * been applied (a lost reply), and dropping is always safe.
   */
  private void forward(ServerCall call, Request r, List<String> touched, boolean subtree) {
    long started = System.nanoTime();
    upstream(call, r).whenComplete((reply, err) -> {
      if (!touched.isEmpty()) {
        attrs.invalidatePaths(touched, subtree);
      }
      relay(call, reply, err);
      answered(started);
    });
  }

  /**
   * Relays a lease request and keeps {@link #branchLeases} in step with the answer: a grant is recorded (with
   * the client's subject as its holder), a release or a FENCED refusal forgets the token.
   */
  private void forwardLease(ServerCall call, Request r, long token, boolean subtree) {
    long started = System.nanoTime();
    String holder = call.session().principal().map(Principal::subject).orElse("?");
    upstream(call, r).whenComplete((reply, err) -> {
      if (err == null && reply instanceof LeaseGrant g) {
        branchLeases.granted(g, subtree, holder);
      } else if (token != 0 && (err == null ? reply instanceof Ok : Errors.unwrap(err).code() == ErrorCode.FENCED)) {
        branchLeases.gone(token);
      }
      relay(call, reply, err);
      answered(started);
    });
  }

  /**
   * While the link is DISCONNECTED a lease can be neither granted nor confirmed: answer OFFLINE at once rather
   * than wait for the link (a lease nobody can verify would exclude nobody).
   */
  private boolean refusedOffline(ServerCall call, String what) {
    if (link.state() != LinkState.DISCONNECTED) {
      return false;
    }
    call.fail(new OutpostException(ErrorCode.OFFLINE, what + ": this branch has been cut off from the origin since "
        + link.health().status().since()));
    return true;
  }

  /** Client request latency, arrival to final reply (the admin API's p50/p99). */
  private void answered(long startedNanos) {
    metrics.requestLatency(System.nanoTime() - startedNanos);
  }

  private CompletableFuture<Reply> upstream(ServerCall call, Request r) {
    return link.call(key(call), token(call), r);
  }

  private static void relay(ServerCall call, Reply reply, Throwable err) {
    if (err != null) {
      call.fail(err);
    } else {
      call.reply(reply);
    }
  }

  private void forwardStream(ServerCall call, Request r, boolean trackForUnsubscribe) {
    StreamKey sk = new StreamKey(call.session().connectionId(), call.requestId());
    link.stream(key(call), token(call), r, new ReplyStream() {
      @Override
      public void onReply(Reply reply, boolean last) {
        if (last) {
          forwardedStreams.remove(sk);
          call.reply(reply);
        } else {
          call.more(reply);
        }
      }

      @Override
      public void onError(OutpostException error) {
        forwardedStreams.remove(sk);
        call.fail(error);
      }
    }).whenComplete((handle, err) -> {
      if (err != null) {
        call.fail(err);
      } else if (trackForUnsubscribe && !call.ended()) {
        forwardedStreams.put(sk, handle);
      }
    });
  }

  private void unsubscribe(ServerCall call, Unsubscribe r) {
    long conn = call.session().connectionId();
    if (subscription.unsubscribeLocally(conn, r.subscribeRequestId())) {
      call.reply(new Ok());
      return;
    }
    OriginLink.StreamHandle h = forwardedStreams.get(new StreamKey(conn, r.subscribeRequestId()));
    if (h == null) {
      call.reply(new Ok()); // as the origin does: it may have ended already
      return;
    }
    h.generation().rpc().call(h.session(), new Unsubscribe(h.requestId()))
        .whenComplete((reply, err) -> relay(call, reply, err));
  }

  // ---- blocks ----

  private void putBlock(ServerCall call, PutBlock r) {
    byte[] bytes;
    BlockId id = r.id();
    try {
      requireWrite(call);
      bytes = new byte[r.cipher().readableBytes()];
      r.cipher().getBytes(r.cipher().readerIndex(), bytes);
    } finally {
      r.release();
    }
    onReaders(call, () -> {
      BlockIds.verify(id, bytes);
      // Unpooled heap wrapper: no pooled memory to leak whatever happens to the upstream write.
      upstream(call, new PutBlock(id, Unpooled.wrappedBuffer(bytes))).whenComplete((reply, err) -> {
        if (err == null && reply instanceof Ok && !cache.contains(id)) {
          cache.store(id, bytes);
        }
        relay(call, reply, err);
      });
    });
  }

  private void onReaders(ServerCall call, Runnable task) {
    try {
      readers.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          fail(call, e);
        }
      });
    } catch (RejectedExecutionException e) {
      call.fail(new OutpostException(ErrorCode.BUSY, "proxy is busy; retry later"));
    }
  }

  // ---- plumbing ----

  private static ClientKey key(ServerCall call) {
    return new ClientKey(call.session().connectionId(), call.session().id());
  }

  /** The client's own token, ATTACHed upstream so the origin authorises the client, not the proxy. */
  private static String token(ServerCall call) {
    return call.session().token().orElseThrow(
        () -> new OutpostException(ErrorCode.UNAUTHORIZED, "no token given for this session"));
  }

  private static void requireWrite(ServerCall call) {
    Principal p = call.session().principal().orElseThrow(
        () -> new OutpostException(ErrorCode.UNAUTHORIZED, "no token given for this session"));
    if (!p.access().allows(Principal.Access.WRITE)) {
      throw new OutpostException(ErrorCode.FORBIDDEN, "put_block needs a write token, but " + p.subject()
          + "'s token allows only " + p.access().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  private static void fail(ServerCall call, RuntimeException e) {
    OutpostException oe = Errors.unwrap(e);
    if (oe.code() == ErrorCode.INTERNAL) {
      log.error("request {} failed", call.requestId(), e);
    }
    if (!call.ended()) {
      call.fail(oe);
    }
  }

  private BlockStreamer.ClientCall adapt(ServerCall call, long started) {
    return new BlockStreamer.ClientCall() {
      @Override
      public void more(Reply r) {
        call.more(r);
      }

      @Override
      public void reply(Reply r) {
        call.reply(r);
        answered(started);
      }

      @Override
      public void fail(Throwable t) {
        call.fail(t);
        answered(started);
      }

      @Override
      public boolean isOpen() {
        return call.isOpen();
      }

      @Override
      public boolean isWritable() {
        return call.isWritable();
      }

      @Override
      public void whenWritable(Runnable r) {
        call.whenWritable(r);
      }
    };
  }

  private static OutpostException misrouted(Request r) {
    return new OutpostException(ErrorCode.PROTOCOL_VIOLATION,
        r.getClass().getSimpleName() + " is handled by the transport, not the proxy service");
  }
}
