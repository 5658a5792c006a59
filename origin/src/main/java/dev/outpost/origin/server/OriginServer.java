package dev.outpost.origin.server;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.feed.ChangeFeed;
import dev.outpost.origin.lease.LeaseEpochs;
import dev.outpost.origin.lease.LeaseTable;
import dev.outpost.observability.MetricsEndpoint;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.origin.volume.Volume;
import dev.outpost.transport.RpcServer;
import dev.outpost.transport.Tls;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running origin: the volume, the protocol listener, the change feed, the lease table, the optional metrics
 * listener and the periodic GC and automatic snapshots. Owns and closes everything it was given.
 */
public final class OriginServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OriginServer.class);
  public static final String AGENT = "outpost-origin/0.1";
  /** Lease tokens reserved per fsync of the epoch file. */
  static final long EPOCH_RESERVE_BLOCK = 1024;

  private final OriginConfig config;
  private final Volume volume;
  private final OriginMetrics metrics;
  private final ExecutorService readers;
  private final ExecutorService writer;
  private final ScheduledExecutorService scheduler;
  private final EventLoopGroup group;
  private final LeaseTable leases;
  private final ChangeFeed feed;
  private final OriginService service;
  private final RpcServer rpc;
  private final Optional<MetricsEndpoint> metricsEndpoint;
  private final Clock clock;

  private OriginServer(OriginConfig config, Volume volume, Clock clock) {
    this.config = config;
    this.volume = volume;
    this.clock = clock;
    OriginDataDir dir = new OriginDataDir(config.dataDir());
    this.metrics = new OriginMetrics();
    this.readers = new ThreadPoolExecutor(config.server().readerThreads(), config.server().readerThreads(), 0,
        TimeUnit.SECONDS, new ArrayBlockingQueue<>(config.server().queuedRequests()), named("origin-read"));
    this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(config.server().queuedRequests()), named("origin-write"));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(named("origin-timer"));
    this.leases = new LeaseTable(LeaseEpochs.open(config.dataDir(), EPOCH_RESERVE_BLOCK), clock,
        config.leases().maxTtlSeconds() * 1000);
    this.feed = new ChangeFeed(volume, readers, metrics, config.journal().subscriberQueueEvents(), 256);
    this.service = new OriginService(volume, feed, leases, metrics, clock, readers, writer, AGENT,
        config.maxFrameBytes(), config.server().queuedRequests());
    metrics.gauge(OriginMetrics.JOURNAL_SEQ, volume::currentSeq);
    metrics.gauge(OriginMetrics.JOURNAL_LENGTH, () -> Math.max(0, volume.currentSeq() - volume.oldestRetainedSeq() + 1));
    metrics.gauge(OriginMetrics.LEASES_LIVE, leases::liveCount);
    Optional<SslContext> tls = config.tls().enabled()
        ? Optional.of(Tls.server(new Tls.KeyMaterial(config.tls().ca(), config.tls().cert(), config.tls().key()),
            config.tls().requireClientCerts()))
        : Optional.empty();
    TokenAuthenticator auth = new TokenAuthenticator(dir.verifier(clock), volume.identity().name());
    this.group = Transports.newGroup("origin-io", Math.max(2, Runtime.getRuntime().availableProcessors()));
    try {
      this.rpc = RpcServer.start(new InetSocketAddress(config.listen().host(), config.listen().port()), tls,
          config.maxFrameBytes(), group, service, auth, clock, config.limits());
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      readers.shutdownNow();
      writer.shutdownNow();
      scheduler.shutdownNow();
      throw e;
    }
    this.metricsEndpoint = config.metrics().map(m -> MetricsEndpoint.start(
        new InetSocketAddress(m.host(), m.port()), metrics.registry(), "origin-metrics-http"));
    schedule();
  }

  /**
   * Starts serving {@code volume} as configured; takes ownership of the volume (closed by {@link #close}).
   *
   * @throws OutpostException UNAVAILABLE if a listener cannot bind; NOT_FOUND or INVALID_ARGUMENT for missing
   *     or bad key/TLS files
   */
  public static OriginServer start(OriginConfig config, Volume volume, Clock clock) {
    try {
      OriginServer s = new OriginServer(config, volume, clock);
      log.info("origin serving volume {} on {}{} (journal seq {}, {} snapshots){}", volume.identity().name(),
          s.address(), config.tls().enabled() ? " with TLS" : " WITHOUT TLS", volume.currentSeq(),
          volume.listSnapshots().size(),
          s.metricsEndpoint.map(m -> "; metrics at http://" + m.address().getHostString() + ":"
              + m.address().getPort() + "/metrics").orElse(""));
      return s;
    } catch (RuntimeException e) {
      volume.close();
      throw e;
    }
  }

  private void schedule() {
    long gcEvery = config.gc().intervalSeconds();
    if (gcEvery > 0) {
      scheduler.scheduleWithFixedDelay(this::collectGarbage, gcEvery, gcEvery, TimeUnit.SECONDS);
    }
    long snapEvery = config.snapshots().autoIntervalSeconds();
    if (snapEvery > 0) {
      scheduler.scheduleWithFixedDelay(this::autoSnapshot, snapEvery, snapEvery, TimeUnit.SECONDS);
    }
  }

  /** One GC pass on the writer thread; returns its report. */
  public Volume.GcReport collectGarbage() {
    try {
      return service.onWriterThread(() -> {
        Volume.GcReport r = volume.collectGarbage(config.gc().graceSeconds() * 1000, clock.millis());
        metrics.gc(r.blocksFreed(), r.bytesFreed());
        log.info("gc: kept {} blocks, freed {} blocks ({} bytes); forgot {} idle senders of operation ids",
            r.blocksKept(), r.blocksFreed(), r.bytesFreed(), r.originatorsDropped());
        return r;
      }).get();
    } catch (Exception e) {
      log.warn("gc failed", e);
      return new Volume.GcReport(0, 0, 0, 0);
    }
  }

  private void autoSnapshot() {
    String name = OriginConfigLoader.autoSnapshotName(config.snapshots().autoNamePattern(), ZonedDateTime.now(clock));
    try {
      service.onWriterThread(() -> volume.createSnapshot(name, clock.millis())).get();
      metrics.snapshotCreated();
      log.info("automatic snapshot {} created", name);
    } catch (Exception e) {
      log.warn("automatic snapshot {} failed: {}", name, e.getCause() != null ? e.getCause().toString() : e.toString());
    }
  }

  public InetSocketAddress address() {
    return rpc.address();
  }

  public Optional<InetSocketAddress> metricsAddress() {
    return metricsEndpoint.map(MetricsEndpoint::address);
  }

  public OriginMetrics metrics() {
    return metrics;
  }

  public Volume volume() {
    return volume;
  }

  public LeaseTable leases() {
    return leases;
  }

  public ChangeFeed feed() {
    return feed;
  }

  /** Stops listening, lets queued work finish, then closes the volume. */
  @Override
  public void close() {
    rpc.close();
    metricsEndpoint.ifPresent(MetricsEndpoint::close);
    scheduler.shutdownNow();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    writer.shutdown();
    readers.shutdown();
    try {
      if (!writer.awaitTermination(30, TimeUnit.SECONDS) || !readers.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("origin workers did not stop within 30 s");
        writer.shutdownNow();
        readers.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    service.shutdown();
    volume.close();
    log.info("origin stopped");
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static OutpostException notReady(String what) {
    return new OutpostException(ErrorCode.UNAVAILABLE, what);
  }
}
