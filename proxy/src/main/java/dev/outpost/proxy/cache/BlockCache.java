package dev.outpost.proxy.cache;

import dev.outpost.core.BlockId;
import dev.outpost.crypto.BlockIds;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.store.BlockStore;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.StorageConfig;
import dev.outpost.store.StoreSpace;
import dev.outpost.store.Table;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's block cache: ciphertext in a non-durable LMDB environment, and an in-memory index over the block
 * ids that decides what stays ({@link BlockIndex}: a segmented LRU bounded by ciphertext bytes); a pinned block
 * weighs 0 and so is never evicted. An eviction deletes the LMDB entry through the one writer thread.
 *
 * <p>Integrity: a block is verified against its id (SHA-256) once, before it is stored; its value in LMDB is
 * {@code crc32c(cipher) ‖ cipher}, and every read checks the CRC32C of the copy it serves (intrinsic, many GB/s,
 * where SHA-256 managed ~390 MiB/s per thread). A block whose bytes changed since (bit rot, a torn write after an
 * OS crash) is dropped and reported as a miss, so it is fetched again. SHA-256 stays the defence against a
 * malicious origin; the CRC only has to catch accidents. Blocks are immutable and named by their hash, so a
 * verified block is never stale. Caches of the old format (bare cipher, table {@value #LEGACY_BLOCKS}) are
 * migrated at open, each block verified by SHA-256 on the way.
 *
 * <p>A full disk: LMDB never gives pages back to the filesystem (pages freed by deletes are reused inside its
 * file), so the room the cache has is its file's size, not the map, which is only address space. When a write
 * finds no room (NO_SPACE: the filesystem, or the map at {@code maxMapBytes}), the cache lowers its bound, once, to
 * what fits in the file with {@value #KEEP_FREE_PERCENT} % of it plus {@value #KEEP_FREE_BATCHES} write batches free
 * (freed pages are reusable only two transactions later, and a block needs a contiguous run of them). It evicts
 * down to it and goes on as a smaller cache within its file, says so once in the log with the figures, and reports
 * the bound ({@link #limitBytes}, {@link #limitReason}). If not even the evictions can be written (LMDB needs fresh
 * pages to delete), it deletes its {@link SpaceReserve} first. Only if writes still find no room {@value
 * #FAILURES_TO_LOWER_AGAIN} times in a row once the bound is kept does it lower again, by a tenth. The bound stays
 * lowered until restart.
 *
 * <p>Threads: {@link #read} runs a short LMDB read transaction on the caller's thread (use a worker, not an
 * event loop, for big blocks); {@link #store} only enqueues. Thread-safe.
 */
public final class BlockCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlockCache.class);
  /** Values are {@code crc32c(cipher) ‖ cipher} (big-endian CRC). */
  public static final String BLOCKS = "blocks-crc32c";
  /** The first format: bare cipher, verified by SHA-256 on every read. Migrated at open. */
  static final String LEGACY_BLOCKS = "blocks";
  static final String STATE = "proxy-state";
  /** State key of the block format; absent = legacy. */
  static final String FORMAT_KEY = "cache.blockFormat";
  static final long FORMAT_CRC32C = 2;
  /** Bytes of the CRC in front of each stored cipher. */
  public static final int CRC_BYTES = 4;
  /** Legacy blocks moved per write transaction during migration. */
  static final int MIGRATE_BATCH = 256;
  /** What a cache on a full disk keeps free of its file: this share, plus this many write batches. */
  static final int KEEP_FREE_PERCENT = 5;
  static final int KEEP_FREE_BATCHES = 4;
  /** Transactions after a lowering whose NO_SPACE is expected: the evicted blocks' pages are not reusable yet. */
  static final int SETTLE_TRANSACTIONS = 4;
  /**
   * Once lowered, writes failing this many times in a row lower the bound again. A single one can be bad luck (no
   * free run of pages long enough for a big block); it leaves that batch uncached, no more.
   */
  static final int FAILURES_TO_LOWER_AGAIN = 3;
  private static final long NEVER = Long.MIN_VALUE / 2;

  private final LmdbStorage storage;
  private final BlockStore blocks;
  private final Table<String, Long> state;
  private final BlockIndex index;
  private final CacheWriter writer;
  private final ScheduledExecutorService syncTimer;
  private final ProxyMetrics metrics;
  private final Duration rebuildTime;
  private final long maxBytes;
  private final long migrated;
  private final SpaceReserve reserve;
  /** Writer thread only: the transaction whose NO_SPACE last lowered the bound. */
  private long loweredAt = NEVER;
  private volatile String limitReason = "";

  private BlockCache(LmdbStorage storage, long maxBytes, long syncIntervalMillis, ProxyMetrics metrics,
      Set<BlockId> pinnedAtStart, SpaceReserve reserve) {
    this.storage = storage;
    this.maxBytes = maxBytes;
    this.reserve = reserve;
    this.metrics = metrics;
    this.blocks = storage.blockStore(BLOCKS);
    this.state = storage.table(STATE, Codecs.UTF8, Codecs.LONG);
    this.index = new BlockIndex(maxBytes, pinnedAtStart, (id, length) -> {
      metrics.evicted();
      writer().submit(new CacheWriter.Delete(id));
    });
    this.migrated = migrateLegacy(storage, blocks, state);
    this.writer = new CacheWriter(storage, blocks, state, this::noSpace, metrics);
    long start = System.nanoTime();
    blocks.forEachId((id, length) -> {
      if (length < CRC_BYTES) {
        writer.submit(new CacheWriter.Delete(id)); // cannot even hold its CRC: not a block of ours
      } else {
        index.add(id, length - CRC_BYTES);
      }
    });
    this.rebuildTime = Duration.ofNanos(System.nanoTime() - start);
    this.syncTimer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("proxy-cache-sync")
        .daemon(true).unstarted(r));
    syncTimer.scheduleWithFixedDelay(this::syncQuietly, syncIntervalMillis, syncIntervalMillis, TimeUnit.MILLISECONDS);
    metrics.gauge(ProxyMetrics.CACHE_BYTES, this::weightedBytes);
    metrics.gauge(ProxyMetrics.CACHE_ENTRIES, this::entries);
    metrics.gauge(ProxyMetrics.CACHE_LIMIT_BYTES, this::limitBytes);
  }

  private CacheWriter writer() {
    return writer;
  }

  /**
   * Opens (creating) the cache in {@code dir} and rebuilds the index from the blocks found there. If the
   * environment cannot be opened (damaged by an OS crash), it is deleted and the cache starts empty: it is
   * only a cache.
   */
  public static BlockCache open(Path dir, long maxBytes, long maxMapBytes, long syncIntervalMillis,
      ProxyMetrics metrics) {
    return open(dir, maxBytes, maxMapBytes, syncIntervalMillis, metrics, Set.of());
  }

  /**
   * Like {@link #open(Path, long, long, long, ProxyMetrics)}, with blocks pinned before the index is rebuilt, so a
   * cache fuller than its bound at start cannot evict them while the rebuild fills the index.
   */
  public static BlockCache open(Path dir, long maxBytes, long maxMapBytes, long syncIntervalMillis,
      ProxyMetrics metrics, Set<BlockId> pinnedAtStart) {
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
      BlockCache c = new BlockCache(storage, maxBytes, syncIntervalMillis, metrics, pinnedAtStart,
          SpaceReserve.create(storage.directory()));
      log.info("block cache {}: {} blocks, {} bytes (limit {}), index rebuilt in {} ms{}", dir, c.entries(),
          c.weightedBytes(), maxBytes, c.rebuildTime.toMillis(),
          c.migrated > 0 ? ", " + c.migrated + " blocks migrated to the CRC32C format" : "");
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
   * miss. A block whose CRC32C does not match is dropped and reported as a miss.
   */
  public Optional<ByteBuf> read(BlockId id, ByteBufAllocator alloc) {
    if (!index.touch(id)) {
      return Optional.empty();
    }
    ByteBuf[] made = new ByteBuf[1];
    Optional<Stored> got;
    try {
      got = blocks.withBlock(id, value -> copyOut(value, alloc, made));
    } catch (RuntimeException | Error e) {
      if (made[0] != null) {
        made[0].release();
      }
      throw e;
    }
    if (got.isEmpty()) {
      // Deleted behind the index's back (an eviction raced a refetch): forget it, fetch again.
      index.remove(id);
      return Optional.empty();
    }
    Stored s = got.get();
    // Checked on the copy, after the read transaction: what is served is what was checked.
    boolean ok = s.cipher() != null && crc32c(s.cipher().nioBuffer()) == s.crc();
    if (!ok) {
      if (s.cipher() != null) {
        s.cipher().release();
      }
      log.warn("cached block {} fails its CRC32C: dropped, will be fetched again", id);
      metrics.corruptDropped();
      drop(id);
      return Optional.empty();
    }
    return Optional.of(s.cipher());
  }

  /** A stored value split: its CRC and a copy of the cipher (null if the value is too short to be ours). */
  private record Stored(int crc, ByteBuf cipher) {}

  private static Stored copyOut(ByteBuffer value, ByteBufAllocator alloc, ByteBuf[] made) {
    int length = value.remaining() - CRC_BYTES;
    if (length < 0) {
      return new Stored(0, null);
    }
    int crc = value.order(ByteOrder.BIG_ENDIAN).getInt(value.position());
    ByteBuf copy = alloc.ioBuffer(length, length);
    made[0] = copy;
    copy.writeBytes(value.slice(value.position() + CRC_BYTES, length));
    return new Stored(crc, copy);
  }

  static int crc32c(ByteBuffer bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes);
    return (int) c.getValue();
  }

  /** The stored form of a verified cipher: {@code crc32c(cipher) ‖ cipher}. */
  static ByteBuffer framed(byte[] cipher) {
    ByteBuffer value = ByteBuffer.allocate(CRC_BYTES + cipher.length);
    value.putInt(crc32c(ByteBuffer.wrap(cipher)));
    value.put(cipher);
    return value.flip();
  }

  /**
   * Moves the blocks of the first format (bare cipher) into {@link #BLOCKS}, verifying each against its id by
   * SHA-256 (they carry no CRC, so this is their ingest check); ones that fail are dropped. Each batch is moved in
   * one transaction, so a crash midway leaves every block in exactly one table and the next open continues.
   *
   * @return blocks migrated
   */
  private static long migrateLegacy(LmdbStorage storage, BlockStore target, Table<String, Long> state) {
    if (storage.read(txn -> state.get(txn, FORMAT_KEY)).orElse(0L) >= FORMAT_CRC32C) {
      return 0;
    }
    BlockStore legacy = storage.blockStore(LEGACY_BLOCKS);
    long[] moved = new long[2];
    List<BlockId> batch = new ArrayList<>(MIGRATE_BATCH);
    long start = System.nanoTime();
    legacy.forEachId((id, length) -> {
      batch.add(id);
      if (batch.size() == MIGRATE_BATCH) {
        moveBatch(storage, legacy, target, batch, moved);
        batch.clear();
      }
    });
    moveBatch(storage, legacy, target, batch, moved);
    storage.write(txn -> {
      state.put(txn, FORMAT_KEY, FORMAT_CRC32C);
      return null;
    });
    if (moved[0] + moved[1] > 0) {
      log.info("block cache migrated to the CRC32C format: {} blocks moved, {} failed SHA-256 and were dropped, {} ms",
          moved[0], moved[1], (System.nanoTime() - start) / 1_000_000);
    }
    return moved[0];
  }

  private static void moveBatch(LmdbStorage storage, BlockStore legacy, BlockStore target, List<BlockId> ids,
      long[] moved) {
    if (ids.isEmpty()) {
      return;
    }
    List<ByteBuffer> values = new ArrayList<>(ids.size());
    for (BlockId id : ids) {
      byte[] cipher = legacy.withBlock(id, bb -> {
        byte[] b = new byte[bb.remaining()];
        bb.get(b);
        return b;
      }).orElse(null);
      values.add(cipher != null && BlockIds.of(cipher).equals(id) ? framed(cipher) : null);
    }
    storage.write(txn -> {
      for (int i = 0; i < ids.size(); i++) {
        if (values.get(i) != null) {
          target.put(txn, ids.get(i), values.get(i));
        }
        legacy.delete(txn, ids.get(i));
      }
      return null;
    });
    for (ByteBuffer v : values) {
      moved[v != null ? 0 : 1]++;
    }
  }

  /** True if the block is indexed (does not count as an access). */
  public boolean contains(BlockId id) {
    return index.contains(id);
  }

  /**
   * Stores a block the caller has verified against its id. Returns at once; the future completes once the
   * block is committed to LMDB and indexed (true if it was new).
   */
  public CompletableFuture<Boolean> store(BlockId id, byte[] cipher) {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    writer.submit(new CacheWriter.Put(id, framed(cipher), done));
    return done.thenApply(added -> {
      index.add(id, cipher.length);
      return added;
    });
  }

  /** Removes a block from the index and LMDB. */
  public void drop(BlockId id) {
    index.remove(id);
    writer.submit(new CacheWriter.Delete(id));
  }

  /** Keeps {@code id} regardless of the byte bound (weight 0), now and when it is stored later. */
  public void pin(BlockId id) {
    index.pin(id);
  }

  /** Makes a pinned block evictable again. */
  public void unpin(BlockId id) {
    index.unpin(id);
  }

  public boolean isPinned(BlockId id) {
    return index.isPinned(id);
  }

  /** Cipher bytes counted against the bound (pinned blocks weigh 0). */
  public long weightedBytes() {
    return index.weightedBytes();
  }

  /** Blocks indexed. */
  public long entries() {
    return index.entries();
  }

  /** The configured bound ({@code cache.maxBytes}). */
  public long maxBytes() {
    return maxBytes;
  }

  /** The bound kept now: {@link #maxBytes}, or lower since the cache's disk or map was found full. */
  public long limitBytes() {
    return index.maxBytes();
  }

  /** Why {@link #limitBytes} is below {@link #maxBytes} ("cache filesystem full at 61.8 MiB"), or "". */
  public String limitReason() {
    return limitReason;
  }

  /**
   * A write found no room (writer thread, outside any transaction): keeps the cache within the file it has (see the
   * class comment), and if not even its deletes could be written gives LMDB the reserve.
   */
  private void noSpace(long transaction, boolean deleting, int failedInARow) {
    if (deleting) {
      long released = reserve.release();
      if (released > 0) {
        log.info("cache {}: no room even to delete; released the {}-byte space reserve", storage.directory(),
            released);
      }
    }
    if (transaction - loweredAt <= SETTLE_TRANSACTIONS
        || (loweredAt != NEVER && failedInARow < FAILURES_TO_LOWER_AGAIN)) {
      return;
    }
    StoreSpace space = storage.space();
    boolean mapFull = space.mapBytes() >= storage.config().maxMapBytes()
        && space.fileBytes() >= space.mapBytes() / 16 * 15;
    long room = Math.min(space.mapBytes(), space.fileBytes());
    long batch = Math.clamp(room / 32, 256 << 10, CacheWriter.MAX_BATCH_BYTES);
    long keepFree = room / 100 * KEEP_FREE_PERCENT + KEEP_FREE_BATCHES * batch;
    long stored = blocks.bytes();
    double pagesPerByte = stored > 0 ? Math.max(1.0, (double) blocks.pageBytes() / stored) : 1.0;
    long fits = Math.max(0, (long) ((room - keepFree) / pagesPerByte) - index.pinnedBytes());
    long current = index.maxBytes();
    long lowered = loweredAt == NEVER ? Math.min(fits, current) : Math.min(fits, current / 10 * 9);
    if (lowered >= current) {
      return;
    }
    loweredAt = transaction;
    String reason = mapFull
        ? "cache map full at " + mib(space.mapBytes()) + " (cache.maxMapBytes)"
        : "cache filesystem full at " + mib(space.fileBytes());
    limitReason = reason;
    writer.limitBatchBytes(batch);
    long entriesBefore = index.entries();
    index.setMaxBytes(lowered);
    log.warn("{} ({}, {} left on it): cache bound lowered from {} to {} until restart, {} blocks evicted; the cache "
        + "keeps to the pages its LMDB file has, {} of them free for LMDB's copy-on-write", reason, storage.directory(),
        mib(space.filesystemUsableBytes()), mib(current), mib(lowered), entriesBefore - index.entries(),
        mib(keepFree));
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
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

  /** Blocks moved from the first format at open. */
  public long migrated() {
    return migrated;
  }

  /** The LMDB block store; values are {@code crc32c(cipher) ‖ cipher}. */
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
