package dev.outpost.proxy.metrics;

import dev.outpost.observability.Registries;
import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Every metric the proxy reports, named in this one place ({@code outpost.proxy.*}). Dropwizard stays behind
 * this class: the rest of the proxy calls the methods below. Thread-safe.
 */
public final class ProxyMetrics {
  public static final String PREFIX = "outpost.proxy.";
  /** Meter per client request type: {@code outpost.proxy.requests.<op>}. */
  public static final String REQUESTS = PREFIX + "requests.";
  /** Timer of client requests, arrival to final reply (the admin API's p50/p99). */
  public static final String REQUEST_LATENCY = PREFIX + "latency.requests";
  public static final String CACHE_HITS = PREFIX + "cache.hits";
  public static final String CACHE_MISSES = PREFIX + "cache.misses";
  public static final String CACHE_HIT_BYTES = PREFIX + "cache.hitBytes";
  public static final String CACHE_MISS_BYTES = PREFIX + "cache.missBytes";
  public static final String BYTES_FROM_CACHE = PREFIX + "bytes.fromCache";
  public static final String BYTES_FROM_ORIGIN = PREFIX + "bytes.fromOrigin";
  public static final String ORIGIN_BLOCK_FETCHES = PREFIX + "origin.blockFetches";
  public static final String ORIGIN_RTT = PREFIX + "origin.roundTrip";
  public static final String SINGLE_FLIGHT_COALESCED = PREFIX + "cache.coalesced";
  public static final String EVICTIONS = PREFIX + "cache.evictions";
  public static final String CORRUPT_DROPPED = PREFIX + "cache.corruptDropped";
  public static final String ORIGIN_CORRUPT = PREFIX + "origin.corruptBlocks";
  public static final String CACHE_BYTES = PREFIX + "cache.bytes";
  public static final String CACHE_ENTRIES = PREFIX + "cache.entries";
  /** The bound the cache keeps now: cache.maxBytes, or lower once its filesystem or map was found full. */
  public static final String CACHE_LIMIT_BYTES = PREFIX + "cache.limitBytes";
  /** Blocks not cached because their LMDB write failed (served all the same). */
  public static final String CACHE_WRITE_FAILURES = PREFIX + "cache.writeFailures";
  public static final String PREFETCHED = PREFIX + "cache.prefetched";
  public static final String ATTR_HITS = PREFIX + "attrs.hits";
  public static final String ATTR_MISSES = PREFIX + "attrs.misses";
  public static final String INVALIDATIONS = PREFIX + "attrs.invalidations";
  public static final String RESYNCS = PREFIX + "attrs.resyncs";
  public static final String SUBSCRIPTION_LAG = PREFIX + "subscription.lag";
  public static final String SUBSCRIPTION_SEQ = PREFIX + "subscription.seq";
  /**
   * One gauge per link state, label {@code state} = connected / degraded / disconnected / replaying: 1 for the
   * current state, 0 for the others ({@code outpost_proxy_link_state{state="connected"} 1}).
   */
  public static final String LINK_STATE = PREFIX + "link.state";
  /** When the link state last changed, in seconds since the epoch (Prometheus' timestamp convention). */
  public static final String LINK_STATE_CHANGED = PREFIX + "link.state_changed_timestamp_seconds";
  public static final String LINK_RECONNECTS = PREFIX + "link.reconnects";
  /** Operations in the write-back log waiting for replay. */
  public static final String WRITEBACK_RECORDS = PREFIX + "writeback.records";
  /** Bytes of those operations as stored. */
  public static final String WRITEBACK_BYTES = PREFIX + "writeback.bytes";
  /** Blocks uploaded while logging, kept until replayed. */
  public static final String WRITEBACK_BLOCKS = PREFIX + "writeback.blocks";
  public static final String WRITEBACK_BLOCK_BYTES = PREFIX + "writeback.blockBytes";
  /** Age of the oldest operation waiting for replay, seconds (0 when none). */
  public static final String WRITEBACK_OLDEST_AGE_SECONDS = PREFIX + "writeback.oldestAgeSeconds";
  /** Conflict records waiting for a decision. */
  public static final String WRITEBACK_CONFLICTS = PREFIX + "writeback.conflicts";
  /** Operations replayed to the origin (answered there). */
  public static final String WRITEBACK_REPLAYED = PREFIX + "writeback.replayed";
  /** Operations that cancelled out before replay (never sent). */
  public static final String WRITEBACK_COALESCED = PREFIX + "writeback.coalesced";

  private final MetricRegistry registry = new MetricRegistry();
  private final Map<String, Meter> requests = new ConcurrentHashMap<>();
  private final Counter cacheHits = registry.counter(CACHE_HITS);
  private final Counter cacheMisses = registry.counter(CACHE_MISSES);
  private final Counter cacheHitBytes = registry.counter(CACHE_HIT_BYTES);
  private final Counter cacheMissBytes = registry.counter(CACHE_MISS_BYTES);
  private final Meter bytesFromCache = registry.meter(BYTES_FROM_CACHE);
  private final Meter bytesFromOrigin = registry.meter(BYTES_FROM_ORIGIN);
  private final Counter originBlockFetches = registry.counter(ORIGIN_BLOCK_FETCHES);
  private final Timer originRtt = registry.timer(ORIGIN_RTT);
  private final Counter coalesced = registry.counter(SINGLE_FLIGHT_COALESCED);
  private final Counter evictions = registry.counter(EVICTIONS);
  private final Counter corruptDropped = registry.counter(CORRUPT_DROPPED);
  private final Counter originCorrupt = registry.counter(ORIGIN_CORRUPT);
  private final Counter prefetched = registry.counter(PREFETCHED);
  private final Counter cacheWriteFailures = registry.counter(CACHE_WRITE_FAILURES);
  private final Counter attrHits = registry.counter(ATTR_HITS);
  private final Counter attrMisses = registry.counter(ATTR_MISSES);
  private final Counter invalidations = registry.counter(INVALIDATIONS);
  private final Counter resyncs = registry.counter(RESYNCS);
  private final Counter reconnects = registry.counter(LINK_RECONNECTS);
  private final Timer requestLatency = registry.timer(REQUEST_LATENCY);
  private final Counter writeBackReplayed = registry.counter(WRITEBACK_REPLAYED);
  private final Counter writeBackCoalesced = registry.counter(WRITEBACK_COALESCED);

  /** The registry, for exporters only. */
  public MetricRegistry registry() {
    return registry;
  }

  /** One client request of type {@code op} (e.g. "GetAttr"). */
  public void request(String op) {
    requests.computeIfAbsent(op, o -> registry.meter(REQUESTS + o.toLowerCase(Locale.ROOT))).mark();
  }

  /** A client request answered (its final reply or error sent) {@code nanos} after it arrived. */
  public void requestLatency(long nanos) {
    requestLatency.update(nanos, TimeUnit.NANOSECONDS);
  }

  public void cacheHit(long bytes) {
    cacheHits.inc();
    cacheHitBytes.inc(bytes);
    bytesFromCache.mark(bytes);
  }

  /** A block not in the cache (counted once per request that missed it, coalesced or not). */
  public void cacheMiss() {
    cacheMisses.inc();
  }

  /** A block fetched from the origin and verified. */
  public void fetchedFromOrigin(long bytes) {
    cacheMissBytes.inc(bytes);
    bytesFromOrigin.mark(bytes);
  }

  /** Blocks asked of the origin (after single-flight coalescing). */
  public void originBlockFetches(int n) {
    originBlockFetches.inc(n);
  }

  public void originRoundTrip(long nanos) {
    originRtt.update(nanos, TimeUnit.NANOSECONDS);
  }

  /** A miss that joined a fetch already in flight instead of asking the origin again. */
  public void coalesced() {
    coalesced.inc();
  }

  public void evicted() {
    evictions.inc();
  }

  /** A cached block whose bytes no longer hash to its id (bit rot): dropped, refetched. */
  public void corruptDropped() {
    corruptDropped.inc();
  }

  /** A block from the origin that did not hash to its id: refused. */
  public void originCorrupt() {
    originCorrupt.inc();
  }

  /** {@code blocks} blocks could not be written to the cache. */
  public void cacheWriteFailed(int blocks) {
    cacheWriteFailures.inc(blocks);
  }

  /** Blocks of small files fetched ahead after a cold directory listing. */
  public void prefetched(int n) {
    prefetched.inc(n);
  }

  public void attrHit() {
    attrHits.inc();
  }

  public void attrMiss() {
    attrMisses.inc();
  }

  public void invalidation() {
    invalidations.inc();
  }

  public void resync() {
    resyncs.inc();
  }

  public void reconnect() {
    reconnects.inc();
  }

  /** {@code n} logged operations replayed to the origin. */
  public void writeBackReplayed(int n) {
    writeBackReplayed.inc(n);
  }

  /** {@code n} logged operations that cancelled out and were never sent. */
  public void writeBackCoalesced(int n) {
    writeBackCoalesced.inc(n);
  }

  /** Registers a gauge read on demand; {@code name} should be one of this class's constants. */
  public void gauge(String name, LongSupplier value) {
    Registries.gauge(registry, name, value);
  }

  /** Registers a gauge per value of {@code label}, read on demand; {@code name} is one of this class's constants. */
  public void labelledGauge(String name, String label, Supplier<Map<String, Long>> values) {
    Registries.labelledGauge(registry, name, label, values);
  }

  /** The count of a counter, meter or timer by name, or a gauge's value; 0 if absent (tests, CLI). */
  public long count(String name) {
    return Registries.count(registry, name);
  }
}
