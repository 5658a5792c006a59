package dev.outpost.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.outpost.core.BlockId;
import dev.outpost.crypto.BlockIds;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.store.BlockStore;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.StorageConfig;
import dev.outpost.store.Table;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's block cache: ciphertext in a non-durable LMDB environment, and an in-memory Caffeine index over
 * the block ids that decides what stays. The index is bounded by ciphertext bytes (W-TinyLFU); a pinned block
 * weighs 0 and so is never evicted. An eviction deletes the LMDB entry through the one writer thread.
 *
 * <p>Integrity: every read hashes the bytes (SHA-256, ~1.5 GB/s) before they are served; a block whose bytes no
 * longer match its id (bit rot, a torn write after an OS crash) is dropped and reported as a miss, so it is
 * fetched again. Blocks are immutable and named by their hash, so a verified block is never stale.
 *
 * <p>Threads: {@link #read} runs a short LMDB read transaction on the caller's thread (use a worker, not an
 * event loop, for big blocks); {@link #store} only enqueues. Thread-safe.
 */
public final class BlockCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlockCache.class);
  static final String BLOCKS = "blocks";
  static final String STATE = "proxy-state";

  /** What the index keeps per block: its cipher length, and whether it is pinned (weight 0). */
  record Entry(int length, boolean pinned) {}

  private final LmdbStorage storage;
  private final BlockStore blocks;
  private final Table<String, Long> state;
  private final Cache<BlockId, Entry> index;
  private final Set<BlockId> pinned = ConcurrentHashMap.newKeySet();
  private final CacheWriter writer;
  private final ScheduledExecutorService syncTimer;
  private final ProxyMetrics metrics;
  private final Duration rebuildTime;
  private final long maxBytes;

  private BlockCache(LmdbStorage storage, long maxBytes, long syncIntervalMillis, Executor maintenance,
      ProxyMetrics metrics) {
    this.storage = storage;
    this.maxBytes = maxBytes;
    this.metrics = metrics;
    this.blocks = storage.blockStore(BLOCKS);
    this.state = storage.table(STATE, Codecs.UTF8, Codecs.LONG);
    this.index = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((BlockId id, Entry e) -> e.pinned() ? 0 : e.length())
        .executor(maintenance)
        .evictionListener((BlockId id, Entry e, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
          if (cause.wasEvicted() && id != null) {
            metrics.evicted();
            writer().submit(new CacheWriter.Delete(id));
          }
        })
        .build();
    this.writer = new CacheWriter(storage, blocks, state);
    long start = System.nanoTime();
    blocks.forEachId((id, length) -> index.put(id, new Entry(length, false)));
    this.rebuildTime = Duration.ofNanos(System.nanoTime() - start);
    this.syncTimer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("proxy-cache-sync")
        .daemon(true).unstarted(r));
    syncTimer.scheduleWithFixedDelay(this::syncQuietly, syncIntervalMillis, syncIntervalMillis, TimeUnit.MILLISECONDS);
    metrics.gauge(ProxyMetrics.CACHE_BYTES, this::weightedBytes);
    metrics.gauge(ProxyMetrics.CACHE_ENTRIES, this::entries);
  }

  private CacheWriter writer() {
    return writer;
  }

  /**
   * Opens (creating) the cache in {@code dir} and rebuilds the index from the blocks found there. If the
   * environment cannot be opened (damaged by an OS crash), it is deleted and the cache starts empty: it is
   * only a cache.
   *
   * @param maintenance Caffeine's executor for eviction and housekeeping
   */
  public static BlockCache open(Path dir, long maxBytes, long maxMapBytes, long syncIntervalMillis,
      Executor maintenance, ProxyMetrics metrics) {
    StorageConfig sc = new StorageConfig(Math.min(maxMapBytes, 64L << 20), maxMapBytes, 512, false);
    LmdbStorage storage;
    try {
      storage = LmdbStorage.open(dir, sc);
    } catch (dev.outpost.core.OutpostException e) {
      if (e.code() != dev.outpost.core.ErrorCode.INTERNAL) {
        throw e;
      }
      log.warn("cache {} cannot be opened ({}); starting with an empty cache", dir, e.getMessage());
      deleteEnvironment(dir);
      storage = LmdbStorage.open(dir, sc);
    }
    try {
      BlockCache c = new BlockCache(storage, maxBytes, syncIntervalMillis, maintenance, metrics);
      log.info("block cache {}: {} blocks, {} bytes (limit {}), index rebuilt in {} ms", dir, c.entries(),
          c.weightedBytes(), maxBytes, c.rebuildTime.toMillis());
      return c;
    } catch (RuntimeException e) {
      storage.close();
      throw e;
    }
  }

  private static void deleteEnvironment(Path dir) {
    for (String f : new String[] {"data.mdb", "lock.mdb"}) {
      try {
        java.nio.file.Files.deleteIfExists(dir.resolve(f));
      } catch (java.io.IOException e) {
        throw new dev.outpost.core.OutpostException(dev.outpost.core.ErrorCode.INTERNAL,
            "cannot delete damaged cache file " + dir.resolve(f), e);
      }
    }
  }

  /**
   * A verified copy of a cached block in a buffer from {@code alloc} (the caller releases it), or empty on a
   * miss. A block that fails verification is dropped and reported as a miss.
   */
  public Optional<ByteBuf> read(BlockId id, ByteBufAllocator alloc) {
    if (index.getIfPresent(id) == null) {
      return Optional.empty();
    }
    Optional<ByteBuf> got = blocks.get(id, alloc);
    if (got.isEmpty()) {
      // Deleted behind the index's back (an eviction raced a refetch): forget it, fetch again.
      index.invalidate(id);
      return Optional.empty();
    }
    ByteBuf buf = got.get();
    boolean ok = false;
    try {
      ok = BlockIds.of(buf.nioBuffer()).equals(id);
    } finally {
      if (!ok) {
        buf.release();
      }
    }
    if (!ok) {
      log.warn("cached block {} does not hash to its id: dropped, will be fetched again", id);
      metrics.corruptDropped();
      drop(id);
      return Optional.empty();
    }
    return got;
  }

  /** True if the block is indexed (does not count as an access). */
  public boolean contains(BlockId id) {
    return index.asMap().containsKey(id);
  }

  /**
   * Stores a block the caller has verified against its id. Returns at once; the future completes once the
   * block is committed to LMDB and indexed (true if it was new).
   */
  public CompletableFuture<Boolean> store(BlockId id, byte[] cipher) {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    writer.submit(new CacheWriter.Put(id, cipher, done));
    return done.thenApply(added -> {
      index.put(id, new Entry(cipher.length, pinned.contains(id)));
      return added;
    });
  }

  /** Removes a block from the index and LMDB. */
  public void drop(BlockId id) {
    index.invalidate(id);
    writer.submit(new CacheWriter.Delete(id));
  }

  /** Keeps {@code id} regardless of the byte bound (weight 0), now and when it is stored later. */
  public void pin(BlockId id) {
    pinned.add(id);
    index.asMap().computeIfPresent(id, (k, e) -> new Entry(e.length(), true));
  }

  /** Makes a pinned block evictable again. */
  public void unpin(BlockId id) {
    pinned.remove(id);
    index.asMap().computeIfPresent(id, (k, e) -> new Entry(e.length(), false));
  }

  public boolean isPinned(BlockId id) {
    return pinned.contains(id);
  }

  /** Cipher bytes counted against the bound (pinned blocks weigh 0). */
  public long weightedBytes() {
    return index.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }

  /** Blocks indexed. */
  public long entries() {
    return index.estimatedSize();
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Runs pending evictions now (tests, and before reporting sizes). */
  public void cleanUp() {
    index.cleanUp();
  }

  /** Time the index rebuild took at open. */
  public Duration rebuildTime() {
    return rebuildTime;
  }

  /** A persisted counter (e.g. the journal position), or {@code dflt}. */
  public long loadState(String key, long dflt) {
    Optional<Long> v = storage.read(txn -> state.get(txn, key));
    return v.orElse(dflt);
  }

  /** Persists a counter through the writer thread (batched with block writes). */
  public void saveState(String key, long value) {
    writer.submit(new CacheWriter.State(key, value));
  }

  /** Completes once every write queued before it is committed. */
  public CompletableFuture<Void> flushed() {
    return writer.barrier();
  }

  /** The underlying environment, for maintenance tools and tests (corrupting a value on purpose). */
  public LmdbStorage storage() {
    return storage;
  }

  /** The LMDB block store. */
  public BlockStore blockStore() {
    return blocks;
  }

  private void syncQuietly() {
    try {
      storage.sync();
    } catch (RuntimeException e) {
      log.warn("cache sync failed: {}", e.toString());
    }
  }

  /** Commits queued writes, flushes to disk and closes the environment. */
  @Override
  public void close() {
    syncTimer.shutdownNow();
    writer.close();
    syncQuietly();
    storage.close();
  }
}
