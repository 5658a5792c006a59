package dev.outpost.proxy.admin;

import com.codahale.metrics.Meter;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.proxy.upstream.LinkHealth;

/**
 * The body of {@code GET /api/status}; field names are a contract with the dashboard and proxyctl.
 *
 * @param uptimeSeconds since the proxy started
 */
public record StatusReport(String version, long uptimeSeconds, Link link, Cache cache, Subscription subscription,
    Stats stats) {

  /**
   * @param state CONNECTED, DEGRADED, DISCONNECTED or REPLAYING (ADR 0004)
   * @param origin host:port
   * @param sinceMillis when the state last changed (epoch milliseconds)
   * @param lastError what last went wrong with the link (a lost connection, a failed or refused attempt), kept
   *     after it recovers; null if nothing did since the start
   * @param lastErrorAtMillis when; null with lastError
   */
  public record Link(String state, String origin, long sinceMillis, String lastError, Long lastErrorAtMillis) {
    /** The JSON shape of a link's status. */
    public static Link of(LinkHealth.Status s, String origin) {
      return new Link(s.state().name(), origin, s.since().toEpochMilli(),
          s.lastError().map(LinkHealth.LinkError::message).orElse(null),
          s.lastError().map(e -> e.at().toEpochMilli()).orElse(null));
    }
  }

  /**
   * Cipher bytes and blocks cached; pinned bytes do not count against {@code limitBytes}.
   *
   * @param limitBytes the bound kept now: {@code configuredLimitBytes}, or lower once the cache's filesystem (or
   *     map) was found full
   * @param configuredLimitBytes {@code cache.maxBytes}
   * @param limitReason why {@code limitBytes} is lower ("cache filesystem full at 61.8 MiB"), or ""
   */
  public record Cache(long bytes, long entries, long limitBytes, long configuredLimitBytes, String limitReason,
      long pinnedBytes) {}

  /** @param seq journal sequence applied; @param lag events behind the origin; @param live caught up and acknowledged */
  public record Subscription(long seq, long lag, boolean live) {}

  /**
   * Since the proxy started. {@code wanBytesSaved} counts the bytes served from the cache: each would otherwise
   * have crossed the WAN. Latencies are of client requests (whole request, proxy side), from the metrics' decaying
   * reservoir; 0 before any request.
   */
  public record Stats(long requests, long blockHits, long blockMisses, double hitRatio, long bytesFromCache,
      long bytesFromOrigin, long wanBytesSaved, double latencyP50Millis, double latencyP99Millis,
      long invalidations) {

    /** Derived from the proxy's metrics registry. */
    public static Stats of(ProxyMetrics m) {
      long requests = 0;
      for (Meter meter : m.registry().getMeters((name, metric) -> name.startsWith(ProxyMetrics.REQUESTS)).values()) {
        requests += meter.getCount();
      }
      long hits = m.count(ProxyMetrics.CACHE_HITS);
      long misses = m.count(ProxyMetrics.CACHE_MISSES);
      long fromCache = m.count(ProxyMetrics.CACHE_HIT_BYTES);
      double p50 = 0;
      double p99 = 0;
      Timer latency = m.registry().getTimers().get(ProxyMetrics.REQUEST_LATENCY);
      if (latency != null && latency.getCount() > 0) {
        Snapshot s = latency.getSnapshot();
        p50 = s.getMedian() / 1e6;
        p99 = s.get99thPercentile() / 1e6;
      }
      return new Stats(requests, hits, misses, hits + misses == 0 ? 0 : (double) hits / (hits + misses), fromCache,
          m.count(ProxyMetrics.CACHE_MISS_BYTES), fromCache, p50, p99, m.count(ProxyMetrics.INVALIDATIONS));
    }
  }
}
