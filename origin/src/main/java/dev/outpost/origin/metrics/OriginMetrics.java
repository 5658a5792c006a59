package dev.outpost.origin.metrics;

import dev.outpost.observability.Registries;
import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Every metric the origin reports, named in this one place. Dropwizard stays behind this class: the rest of
 * the origin calls {@link #time}, {@link #bytesIn} and so on.
 *
 * <p>Thread-safe.
 */
public final class OriginMetrics {
  public static final String PREFIX = "outpost.origin.";
  /** Timer per operation: {@code outpost.origin.ops.<op>}, e.g. {@code outpost.origin.ops.commit}. */
  public static final String OPS = PREFIX + "ops.";
  public static final String BYTES_IN = PREFIX + "bytes.in";
  public static final String BYTES_OUT = PREFIX + "bytes.out";
  public static final String BLOCKS_SENT = PREFIX + "blocks.sent";
  public static final String BLOCKS_STORED = PREFIX + "blocks.stored";
  /** Durable write transactions of uploaded blocks and touches: blocks.stored / blocks.batches is the batch size. */
  public static final String BLOCK_BATCHES = PREFIX + "blocks.batches";
  public static final String COMMITS = PREFIX + "commits";
  /** Mutations answered from the record of an earlier application of the same operation id. */
  public static final String DUPLICATES = PREFIX + "duplicates";
  public static final String CONFLICTS = PREFIX + "conflicts";
  public static final String FENCED = PREFIX + "fenced";
  public static final String LEASE_CONFLICTS = PREFIX + "leases.conflicts";
  public static final String LEASES_LIVE = PREFIX + "leases.live";
  public static final String ERRORS = PREFIX + "errors";
  public static final String BUSY = PREFIX + "busy";
  public static final String JOURNAL_LENGTH = PREFIX + "journal.length";
  public static final String JOURNAL_SEQ = PREFIX + "journal.seq";
  public static final String SUBSCRIBERS = PREFIX + "subscribers";
  public static final String SUBSCRIBER_MAX_LAG = PREFIX + "subscribers.maxLag";
  public static final String SUBSCRIBER_OVERFLOWS = PREFIX + "subscribers.overflows";
  public static final String SUBSCRIBER_RESYNCS = PREFIX + "subscribers.resyncs";
  public static final String STREAMS_PAUSED = PREFIX + "streams.paused";
  public static final String GC_RUNS = PREFIX + "gc.runs";
  public static final String GC_BLOCKS_FREED = PREFIX + "gc.blocksFreed";
  public static final String GC_BYTES_FREED = PREFIX + "gc.bytesFreed";
  public static final String SNAPSHOTS_CREATED = PREFIX + "snapshots.created";

  private final MetricRegistry registry = new MetricRegistry();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Meter bytesIn = registry.meter(BYTES_IN);
  private final Meter bytesOut = registry.meter(BYTES_OUT);
  private final Counter blocksSent = registry.counter(BLOCKS_SENT);
  private final Counter blocksStored = registry.counter(BLOCKS_STORED);
  private final Counter blockBatches = registry.counter(BLOCK_BATCHES);
  private final Counter commits = registry.counter(COMMITS);
  private final Counter conflicts = registry.counter(CONFLICTS);
  private final Counter fenced = registry.counter(FENCED);
  private final Counter leaseConflicts = registry.counter(LEASE_CONFLICTS);
  private final Counter duplicates = registry.counter(DUPLICATES);
  private final Counter errors = registry.counter(ERRORS);
  private final Counter busy = registry.counter(BUSY);
  private final Counter overflows = registry.counter(SUBSCRIBER_OVERFLOWS);
  private final Counter resyncs = registry.counter(SUBSCRIBER_RESYNCS);
  private final Counter streamsPaused = registry.counter(STREAMS_PAUSED);
  private final Counter gcRuns = registry.counter(GC_RUNS);
  private final Counter gcBlocksFreed = registry.counter(GC_BLOCKS_FREED);
  private final Counter gcBytesFreed = registry.counter(GC_BYTES_FREED);
  private final Counter snapshotsCreated = registry.counter(SNAPSHOTS_CREATED);

  /** The registry, for exporters only (the JSON endpoint). */
  public MetricRegistry registry() {
    return registry;
  }

  /** Starts timing operation {@code op} (lower-case, e.g. "getattr"); close the context when done. */
  public Timer.Context time(String op) {
    return timers.computeIfAbsent(op, o -> registry.timer(OPS + o.toLowerCase(Locale.ROOT))).time();
  }

  public void bytesIn(long n) {
    bytesIn.mark(n);
  }

  public void blockSent(long bytes) {
    bytesOut.mark(bytes);
    blocksSent.inc();
  }

  public void blockStored() {
    blocksStored.inc();
  }

  public void blockBatch() {
    blockBatches.inc();
  }

  public void commit() {
    commits.inc();
  }

  public void duplicate() {
    duplicates.inc();
  }

  public void conflict() {
    conflicts.inc();
  }

  public void fenced() {
    fenced.inc();
  }

  public void leaseConflict() {
    leaseConflicts.inc();
  }

  public void error() {
    errors.inc();
  }

  public void busy() {
    busy.inc();
  }

  public void subscriberOverflow() {
    overflows.inc();
  }

  public void resync() {
    resyncs.inc();
  }

  /** A block or event stream paused because the peer's connection was not writable. */
  public void streamPaused() {
    streamsPaused.inc();
  }

  public void gc(long blocksFreed, long bytesFreed) {
    gcRuns.inc();
    gcBlocksFreed.inc(blocksFreed);
    gcBytesFreed.inc(bytesFreed);
  }

  public void snapshotCreated() {
    snapshotsCreated.inc();
  }

  /** Registers a gauge read on demand; {@code name} should be one of this class's constants. */
  public void gauge(String name, LongSupplier value) {
    Registries.gauge(registry, name, value);
  }

  /** The count of a counter, meter or timer by name, or a gauge's value; 0 if absent (tests, CLI). */
  public long count(String name) {
    return Registries.count(registry, name);
  }
}
