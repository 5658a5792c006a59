package dev.outpost.proxy.server;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.PemFiles;
import dev.outpost.crypto.TokenVerifier;
import dev.outpost.proxy.admin.ProxyAdmin;
import dev.outpost.proxy.attrs.AttrCache;
import dev.outpost.proxy.attrs.ChangeSubscription;
import dev.outpost.proxy.attrs.OriginAttrs;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.cache.BlockFlights;
import dev.outpost.proxy.config.ProxyConfig;
import dev.outpost.observability.MetricsEndpoint;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.proxy.upstream.LinkState;
import dev.outpost.proxy.upstream.OriginLink;
import dev.outpost.transport.Backoff;
import dev.outpost.transport.Heartbeat;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.RpcServer;
import dev.outpost.transport.Tls;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.PublicKey;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: the client listener, the origin link, the block cache with single-flight fetches, the
 * attribute cache and the change subscription. Owns and closes all of them.
 */
public final class ProxyServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
  /** Requests queued for the reader pool before new ones get BUSY. */
  static final int READER_QUEUE = 10_000;
  /** Recent change events kept in memory to serve client subscriptions locally. */
  static final int RING_EVENTS = 4096;

  private final ProxyConfig config;
  private final ProxyMetrics metrics = new ProxyMetrics();
  private final ExecutorService readers;
  private final ExecutorService maintenance;
  private final EventLoopGroup group;
  private final BlockCache cache;
  private final OriginLink link;
  private final AttrCache attrs;
  private final ChangeSubscription subscription;
  private final BlockFlights flights;
  private final RpcServer rpc;
  private final Optional<MetricsEndpoint> metricsEndpoint;
  private final ProxyAdmin admin;
  private final Prefetcher prefetcher;

  private ProxyServer(ProxyConfig config, Clock clock) {
    this.config = config;
    String token = readToken(config);
    PublicKey originKey = readPublicKey(config);
    Optional<SslContext> serverTls = config.tls().enabled()
        ? Optional.of(Tls.server(new Tls.KeyMaterial(config.tls().ca().orElseThrow(), config.tls().cert().orElseThrow(),
            config.tls().key().orElseThrow()), false))
        : Optional.empty();
    RpcClient.Options upstreamOptions = RpcClient.Options.plain(ProxyService.AGENT, token)
        .withMaxFrameBytes(config.maxFrameBytes())
        .withHeartbeat(new Heartbeat(config.heartbeat().intervalMillis(), config.heartbeat().timeoutMillis()));
    if (config.upstreamTls().enabled()) {
      ProxyConfig.Tls t = config.upstreamTls();
      Optional<Tls.KeyMaterial> own = t.cert().map(c -> new Tls.KeyMaterial(t.ca().orElseThrow(), c, t.key().orElseThrow()));
      upstreamOptions = upstreamOptions.withTls(Tls.client(t.ca().orElseThrow(), own));
    }
    int n = config.cache().readerThreads();
    this.readers = new ThreadPoolExecutor(n, n, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(READER_QUEUE),
        named("proxy-read"));
    this.maintenance = Executors.newSingleThreadExecutor(named("proxy-cache-maint"));
    this.group = Transports.newGroup("proxy-io", Math.max(2, Runtime.getRuntime().availableProcessors()));
    boolean ok = false;
    RpcServer rpc = null;
    BlockCache c = null;
    OriginLink l = null;
    try {
      c = BlockCache.open(config.cache().dir(), config.cache().maxBytes(), config.cache().maxMapBytes(),
          config.cache().syncIntervalMillis(), metrics,
          dev.outpost.proxy.warm.PinBook.persistedIds(config.cache().dir()));
      this.cache = c;
      // Connects in the background: the proxy serves (its cache) whether or not the origin is reachable.
      l = new OriginLink(new InetSocketAddress(config.origin().host(), config.origin().port()), upstreamOptions, group,
          config.volume(), new Backoff(config.reconnect().initialMillis(), config.reconnect().maxMillis()),
          config.requestTimeoutMillis(), config.disconnected().graceMillis(), clock, metrics);
      this.link = l;
      this.attrs = new AttrCache(config.attrs().maxEntries(), maintenance, metrics);
      this.subscription = new ChangeSubscription(link, attrs, cache, metrics, RING_EVENTS);
      this.flights = new BlockFlights(cache, link, readers, metrics);
      // Listings asked ahead of clients (look-ahead, warm jobs) go through one path, cached as a client's miss.
      OriginAttrs ahead = new OriginAttrs(link, attrs, subscription);
      LocalTokenCheck tokens = new LocalTokenCheck(new TokenVerifier(originKey, clock), config.volume());
      ProxyService service = new ProxyService(config.volume(), link, cache, flights, attrs, subscription,
          metrics, readers, clock, new Prefetcher.Policy(config.attrs().prefetchMaxFileBytes(),
          config.attrs().prefetchMaxBlocks(), config.attrs().prefetchDirBytes(), config.attrs().prefetchInFlightBytes(),
          config.attrs().prefetchDirDepth()), ahead);
      this.prefetcher = service.prefetcher();
      subscription.start();
      // LEASE_RECALL for a client's upstream session goes to that client's connection.
      link.onClientPush(service::pushToClient);
      rpc = RpcServer.start(new InetSocketAddress(config.listen().host(), config.listen().port()), serverTls,
          config.maxFrameBytes(), group, service, tokens, clock, config.limits());
      this.rpc = rpc;
      this.admin = ProxyAdmin.start(config, cache, flights, link, attrs, subscription, ahead, metrics, clock);
      this.metricsEndpoint = config.metrics().map(m -> MetricsEndpoint.start(
          new InetSocketAddress(m.host(), m.port()), metrics.registry(), "proxy-metrics-http"));
      ok = true;
    } finally {
      if (!ok) {
        if (rpc != null) {
          rpc.close();
        }
        if (l != null) {
          l.close();
        }
        if (c != null) {
          c.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        readers.shutdownNow();
        maintenance.shutdownNow();
      }
    }
  }

  /**
   * Starts serving as configured; the origin link connects in the background.
   *
   * @throws OutpostException UNAVAILABLE if the listener cannot bind; NOT_FOUND / INVALID_ARGUMENT for missing or
   *     bad token, key or TLS files
   */
  public static ProxyServer start(ProxyConfig config, Clock clock) {
    ProxyServer s = new ProxyServer(config, clock);
    log.info("proxy for volume {} serving on {}{}, origin {}, cache {} ({} blocks, {} of {} bytes)", config.volume(),
        s.address(), config.tls().enabled() ? " with TLS" : " WITHOUT TLS", config.origin(), config.cache().dir(),
        s.cache.entries(), s.cache.weightedBytes(), config.cache().maxBytes());
    s.metricsEndpoint.ifPresent(m -> log.info("proxy metrics at http://{}:{}/metrics", m.address().getHostString(),
        m.address().getPort()));
    return s;
  }

  private static String readToken(ProxyConfig config) {
    try {
      String t = Files.readString(config.tokenFile()).strip();
      if (t.isEmpty()) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "tokenFile " + config.tokenFile() + " is empty");
      }
      return t;
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "cannot read tokenFile " + config.tokenFile() + ": " + e.getMessage(), e);
    }
  }

  private static PublicKey readPublicKey(ProxyConfig config) {
    try {
      return PemFiles.readPublicKey(config.originPublicKeyFile());
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.NOT_FOUND,
          "cannot read originPublicKeyFile " + config.originPublicKeyFile() + ": " + e.getMessage(), e);
    }
  }

  public InetSocketAddress address() {
    return rpc.address();
  }

  public ProxyMetrics metrics() {
    return metrics;
  }

  public BlockCache cache() {
    return cache;
  }

  /** True when the prefetcher has nothing listed, fetched or queued (tests wait for it). */
  public boolean prefetchIdle() {
    return prefetcher.idle();
  }

  public AttrCache attrs() {
    return attrs;
  }

  public ChangeSubscription subscription() {
    return subscription;
  }

  public LinkState linkState() {
    return link.state();
  }

  public OriginLink link() {
    return link;
  }

  /** Where JSON metrics are served, if configured. */
  public Optional<InetSocketAddress> metricsAddress() {
    return metricsEndpoint.map(MetricsEndpoint::address);
  }

  /** Warm jobs, pins, cache operations by path and the admin API. */
  public ProxyAdmin admin() {
    return admin;
  }

  public ProxyConfig config() {
    return config;
  }

  /** Stops listening and the link, lets queued cache writes commit, then closes the cache. */
  @Override
  public void close() {
    admin.close(); // first: a running warm job stops while the link and cache are still there
    rpc.close();
    metricsEndpoint.ifPresent(MetricsEndpoint::close);
    link.close();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    readers.shutdown();
    try {
      if (!readers.awaitTermination(10, TimeUnit.SECONDS)) {
        readers.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    cache.close();
    maintenance.shutdownNow();
    log.info("proxy stopped");
  }

  private static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
