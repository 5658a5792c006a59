package dev.outpost.proxy.admin;

import dev.outpost.proxy.attrs.AttrCache;
import dev.outpost.proxy.attrs.ChangeSubscription;
import dev.outpost.proxy.attrs.OriginAttrs;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.cache.BlockFlights;
import dev.outpost.proxy.config.ProxyConfig;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.proxy.upstream.OriginLink;
import dev.outpost.proxy.warm.CachePaths;
import dev.outpost.proxy.warm.ListingWarmer;
import dev.outpost.proxy.warm.OriginLister;
import dev.outpost.proxy.warm.PinBook;
import dev.outpost.proxy.warm.WarmJobs;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's administration: persisted pins, warm jobs (resumed at start), cache operations by path, and the
 * admin HTTP API when configured. Built by the ProxyServer once the cache, link and attribute cache exist; closed
 * before them (a running warm job stops after its batches in flight and resumes at the next start).
 */
public final class ProxyAdmin implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyAdmin.class);
  /** The product version the status reports. */
  public static final String VERSION = "0.1.0";
  static final int HTTP_THREADS = 4;

  private final PinBook pins;
  private final WarmJobs jobs;
  private final CachePaths paths;
  private final Optional<AdminServer> server;

  private ProxyAdmin(PinBook pins, WarmJobs jobs, CachePaths paths, Optional<AdminServer> server) {
    this.pins = pins;
    this.jobs = jobs;
    this.paths = paths;
    this.server = server;
  }

  /** Restores pins, resumes warm jobs and starts the admin API if {@code config.admin()} is set. */
  public static ProxyAdmin start(ProxyConfig config, BlockCache cache, BlockFlights flights, OriginLink link,
      AttrCache attrs, ChangeSubscription subscription, OriginAttrs ahead, ProxyMetrics metrics, Clock clock) {
    long startedMillis = clock.millis();
    PinBook pins = PinBook.open(cache, config.cache().dir());
    OriginLister lister = new OriginLister(link, config.requestTimeoutMillis());
    WarmJobs jobs = WarmJobs.open(cache, flights, lister, new ListingWarmer(ahead, config.requestTimeoutMillis()),
        pins, config.cache().dir(), clock, link::isUp);
    CachePaths paths = new CachePaths(cache, attrs, pins, lister);
    Optional<AdminServer> server = Optional.empty();
    try {
      server = config.admin().map(a -> {
        AdminToken token = AdminToken.loadOrCreate(a.tokenFile(), new SecureRandom());
        String origin = config.origin().host() + ":" + config.origin().port();
        AdminServer.Parts parts = new AdminServer.Parts(() -> new StatusReport(VERSION,
            Math.max(0, (clock.millis() - startedMillis) / 1000),
            StatusReport.Link.of(link.health().status(), origin),
            new StatusReport.Cache(cache.weightedBytes(), cache.entries(), cache.limitBytes(), cache.maxBytes(),
                cache.limitReason(), pins.cachedBytes()),
            new StatusReport.Subscription(subscription.appliedSeq(), subscription.lag(), subscription.live()),
            StatusReport.Stats.of(metrics)), metrics, jobs, paths);
        AdminServer s = AdminServer.start(new InetSocketAddress(a.listen().host(), a.listen().port()), token, parts,
            HTTP_THREADS);
        log.info("admin API at http://{}:{}/ (token in {})", s.address().getHostString(), s.address().getPort(),
            a.tokenFile());
        return s;
      });
    } catch (RuntimeException e) {
      jobs.close();
      throw e;
    }
    return new ProxyAdmin(pins, jobs, paths, server);
  }

  public WarmJobs jobs() {
    return jobs;
  }

  public PinBook pins() {
    return pins;
  }

  public CachePaths paths() {
    return paths;
  }

  /** Where the admin API listens, if configured. */
  public Optional<InetSocketAddress> address() {
    return server.map(AdminServer::address);
  }

  @Override
  public void close() {
    server.ifPresent(AdminServer::close);
    jobs.close();
  }
}
