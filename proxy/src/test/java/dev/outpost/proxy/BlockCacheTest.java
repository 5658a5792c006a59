package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.BlockIds;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.cache.BlockFlights;
import dev.outpost.proxy.cache.BlockSource;
import dev.outpost.proxy.metrics.ProxyMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import dev.outpost.store.BlockStore;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.StorageConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockCacheTest {
  @TempDir
  Path dir;

  static byte[] block(Random r, int size) {
    byte[] b = new byte[size];
    r.nextBytes(b);
    return b;
  }

  @Test
  void evictionKeepsTheByteBoundAndPinnedBlocksSurvive() {
    ProxyMetrics metrics = new ProxyMetrics();
    long bound = 1 << 20;
    try (BlockCache cache = BlockCache.open(dir, bound, 64L << 20, 1000, metrics)) {
      Random r = new Random(1);
      List<BlockId> ids = new ArrayList<>();
      List<CompletableFuture<Boolean>> writes = new ArrayList<>();
      byte[] pinnedBytes = block(r, 64 << 10);
      BlockId pinned = BlockIds.of(pinnedBytes);
      cache.pin(pinned);
      writes.add(cache.store(pinned, pinnedBytes));
      for (int i = 0; i < 48; i++) {
        byte[] b = block(r, 64 << 10);
        BlockId id = BlockIds.of(b);
        ids.add(id);
        writes.add(cache.store(id, b));
        // Read some blocks often, so the frequency sketch has something to go by.
        for (int k = 0; k < ids.size(); k += 7) {
          cache.read(ids.get(k), ByteBufAllocator.DEFAULT).ifPresent(ByteBuf::release);
        }
      }
      writes.forEach(CompletableFuture::join);
      cache.flushed().join();
      assertThat(cache.weightedBytes()).isLessThanOrEqualTo(bound);
      assertThat(metrics.count(ProxyMetrics.EVICTIONS)).isPositive();
      assertThat(cache.contains(pinned)).isTrue();
      Optional<ByteBuf> p = cache.read(pinned, ByteBufAllocator.DEFAULT);
      assertThat(p).isPresent();
      p.get().release();
      // Evicted blocks are gone from LMDB too: what is stored is what is indexed.
      assertThat(cache.blockStore().count()).isEqualTo(cache.entries());
      assertThat(cache.blockStore().bytes())
          .isLessThanOrEqualTo(bound + pinnedBytes.length + BlockCache.CRC_BYTES * cache.entries());

      cache.unpin(pinned);
      assertThat(cache.weightedBytes()).isLessThanOrEqualTo(bound);
    }
  }

  /**
   * What BlockStreamer does with a block a client asks for: a read, and on a miss a fetch that stores it (a store that
   * fails leaves the block uncached, as a fetch does).
   */
  static BlockId readOrStore(BlockCache cache, byte[] cipher) {
    BlockId id = BlockIds.of(cipher);
    Optional<ByteBuf> hit = cache.read(id, ByteBufAllocator.DEFAULT);
    if (hit.isPresent()) {
      hit.get().release();
    } else {
      cache.store(id, cipher).exceptionally(e -> false).join();
    }
    return id;
  }

  @Test
  void aLongReadThroughASmallerCacheKeepsItsLastPart() {
    // 16 MiB of blocks read once each through a 4 MiB cache: what stays is what was read last.
    long bound = 4 << 20;
    try (BlockCache cache = BlockCache.open(dir, bound, 64L << 20, 1000, new ProxyMetrics())) {
      Random r = new Random(11);
      List<BlockId> ids = new ArrayList<>();
      for (int i = 0; i < 256; i++) {
        ids.add(readOrStore(cache, block(r, 64 << 10)));
      }
      List<BlockId> last3MiB = ids.subList(ids.size() - 48, ids.size());
      assertThat(last3MiB.stream().filter(cache::contains).count()).as("of the last 48 blocks read, cached")
          .isEqualTo(48);
      assertThat(cache.weightedBytes()).isLessThanOrEqualTo(bound);
    }
  }

  @Test
  void blocksReadTwiceOutliveAScanOfBlocksReadOnce() {
    long bound = 4 << 20;
    try (BlockCache cache = BlockCache.open(dir, bound, 64L << 20, 1000, new ProxyMetrics())) {
      Random r = new Random(12);
      List<byte[]> hot = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        hot.add(block(r, 64 << 10));
      }
      for (int round = 0; round < 2; round++) {
        hot.forEach(b -> readOrStore(cache, b));
      }
      // A scan of three times the bound, each block read once.
      for (int i = 0; i < 192; i++) {
        readOrStore(cache, block(r, 64 << 10));
      }
      assertThat(hot.stream().map(BlockIds::of).filter(cache::contains).count()).as("hot blocks still cached")
          .isEqualTo(16);
    }
  }

  @Test
  void blocksPinnedAtOpenSurviveARebuildOverTheBound() {
    ProxyMetrics metrics = new ProxyMetrics();
    Random r = new Random(5);
    List<BlockId> ids = new ArrayList<>();
    try (BlockCache cache = BlockCache.open(dir, 64 << 20, 256L << 20, 1000, metrics)) {
      for (int i = 0; i < 64; i++) {
        byte[] b = block(r, 64 << 10);
        BlockId id = BlockIds.of(b);
        ids.add(id);
        cache.store(id, b);
      }
      cache.flushed().join();
    }
    // Reopened with a bound far below what is stored: only the pinned ones are sure to stay.
    java.util.Set<BlockId> pinned = java.util.Set.copyOf(ids.subList(0, 8));
    try (BlockCache cache = BlockCache.open(dir, 256 << 10, 256L << 20, 1000, metrics, pinned)) {
      for (BlockId id : pinned) {
        assertThat(cache.contains(id)).as("pinned %s", id).isTrue();
        assertThat(cache.isPinned(id)).isTrue();
      }
      assertThat(cache.weightedBytes()).isLessThanOrEqualTo(256 << 10);
    }
  }

  @Test
  void indexIsRebuiltFromLmdbAtOpen() {
    ProxyMetrics metrics = new ProxyMetrics();
    Random r = new Random(2);
    List<BlockId> ids = new ArrayList<>();
    try (BlockCache cache = BlockCache.open(dir, 64 << 20, 256L << 20, 1000, metrics)) {
      for (int i = 0; i < 2000; i++) {
        byte[] b = block(r, 100 + r.nextInt(2000));
        BlockId id = BlockIds.of(b);
        ids.add(id);
        cache.store(id, b);
      }
      cache.flushed().join();
      cache.saveState("journal.seq", 42);
    }
    try (BlockCache cache = BlockCache.open(dir, 64 << 20, 256L << 20, 1000, new ProxyMetrics())) {
      assertThat(cache.entries()).isEqualTo(2000);
      assertThat(ids).allMatch(cache::contains);
      assertThat(cache.loadState("journal.seq", 0)).isEqualTo(42);
      System.out.printf("index rebuild: 2000 blocks in %d ms%n", cache.rebuildTime().toMillis());
    }
  }

  @Test
  void aChangedByteAnywhereInAStoredValueIsCaughtByTheCrcAndDropped() {
    ProxyMetrics metrics = new ProxyMetrics();
    Random r = new Random(4);
    byte[] b = block(r, 70_000);
    BlockId id = BlockIds.of(b);
    // Positions in the CRC itself, at the start, middle and end of the cipher.
    int[] positions = {0, 3, 4, 35_000, 4 + b.length - 1};
    for (int pos : positions) {
      try (BlockCache cache = BlockCache.open(dir, 64 << 20, 256L << 20, 1000, metrics)) {
        cache.store(id, b).join();
        ByteBuf ok = cache.read(id, ByteBufAllocator.DEFAULT).orElseThrow();
        byte[] served = new byte[ok.readableBytes()];
        ok.readBytes(served);
        ok.release();
        assertThat(served).isEqualTo(b);
        byte[] value = cache.blockStore().withBlock(id, bb -> {
          byte[] v = new byte[bb.remaining()];
          bb.get(v);
          return v;
        }).orElseThrow();
        assertThat(value).hasSize(BlockCache.CRC_BYTES + b.length);
        value[pos] ^= 0x01;
        cache.blockStore().delete(id);
        cache.blockStore().put(id, ByteBuffer.wrap(value));

        long before = metrics.count(ProxyMetrics.CORRUPT_DROPPED);
        assertThat(cache.read(id, ByteBufAllocator.DEFAULT)).as("flipped byte %d", pos).isEmpty();
        assertThat(metrics.count(ProxyMetrics.CORRUPT_DROPPED)).isEqualTo(before + 1);
        cache.flushed().join();
        assertThat(cache.contains(id)).isFalse();
        assertThat(cache.blockStore().contains(id)).isFalse();
      }
    }
  }

  @Test
  void aCacheOfTheFirstFormatIsMigratedVerifyingEachBlock() {
    Random r = new Random(5);
    List<byte[]> good = new ArrayList<>();
    byte[] rotten = block(r, 3000);
    BlockId rottenId = BlockIds.of(rotten);
    rotten[100] ^= 0x40;
    try (LmdbStorage storage = LmdbStorage.open(dir, new StorageConfig(64L << 20, 256L << 20, 16, false))) {
      BlockStore legacy = storage.blockStore("blocks");
      // More than one migration batch.
      for (int i = 0; i < 600; i++) {
        byte[] b = block(r, 100 + r.nextInt(5000));
        good.add(b);
        legacy.put(BlockIds.of(b), ByteBuffer.wrap(b));
      }
      legacy.put(rottenId, ByteBuffer.wrap(rotten));
    }
    try (BlockCache cache = BlockCache.open(dir, 64 << 20, 256L << 20, 1000, new ProxyMetrics())) {
      assertThat(cache.migrated()).isEqualTo(600);
      assertThat(cache.entries()).isEqualTo(600);
      assertThat(cache.contains(rottenId)).isFalse();
      for (byte[] b : good) {
        ByteBuf got = cache.read(BlockIds.of(b), ByteBufAllocator.DEFAULT).orElseThrow();
        try {
          byte[] bytes = new byte[got.readableBytes()];
          got.getBytes(got.readerIndex(), bytes);
          assertThat(bytes).isEqualTo(b);
        } finally {
          got.release();
        }
      }
      assertThat(cache.weightedBytes()).isEqualTo(good.stream().mapToLong(b -> b.length).sum());
    }
    // Migrated once: the next open finds nothing to move and the same blocks.
    try (BlockCache cache = BlockCache.open(dir, 64 << 20, 256L << 20, 1000, new ProxyMetrics())) {
      assertThat(cache.migrated()).isZero();
      assertThat(cache.entries()).isEqualTo(600);
    }
  }

  /** A source that counts fetches and can lie about block contents. */
  private static final class FakeOrigin implements BlockSource {
    final Map<BlockId, byte[]> blocks;
    final AtomicInteger asked = new AtomicInteger();
    final List<Runnable> pending = new ArrayList<>();

    FakeOrigin(Map<BlockId, byte[]> blocks) {
      this.blocks = blocks;
    }

    @Override
    public synchronized void fetch(List<BlockId> ids, Sink sink) {
      asked.addAndGet(ids.size());
      pending.add(() -> {
        for (BlockId id : ids) {
          byte[] b = blocks.get(id);
          if (b == null) {
            sink.missing(id);
          } else {
            sink.block(id, b.clone());
          }
        }
        sink.done(null);
      });
    }

    synchronized void answer() {
      pending.forEach(Runnable::run);
      pending.clear();
    }
  }

  @Test
  void concurrentMissesShareOneFetchAndCorruptBlocksAreNeverCached() throws Exception {
    ProxyMetrics metrics = new ProxyMetrics();
    Random r = new Random(3);
    byte[] good = block(r, 5000);
    BlockId goodId = BlockIds.of(good);
    byte[] genuine = block(r, 5000);
    BlockId badId = BlockIds.of(genuine);
    byte[] tampered = genuine.clone();
    tampered[10] ^= 1;
    BlockId absent = BlockIds.of(block(r, 10));
    FakeOrigin origin = new FakeOrigin(Map.of(goodId, good, badId, tampered));
    try (BlockCache cache = BlockCache.open(dir, 64 << 20, 256L << 20, 1000, metrics)) {
      BlockFlights flights = new BlockFlights(cache, origin, Runnable::run, metrics);
      List<Map<BlockId, CompletableFuture<Optional<byte[]>>>> waits = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        waits.add(flights.fetch(List.of(goodId, badId, absent)));
      }
      assertThat(origin.asked.get()).isEqualTo(3);
      assertThat(metrics.count(ProxyMetrics.SINGLE_FLIGHT_COALESCED)).isEqualTo(999 * 3);
      origin.answer();
      for (var w : waits) {
        assertThat(w.get(goodId).get(5, TimeUnit.SECONDS)).hasValueSatisfying(b -> assertThat(b).isEqualTo(good));
        assertThat(w.get(absent).get(5, TimeUnit.SECONDS)).isEmpty();
        try {
          w.get(badId).get(5, TimeUnit.SECONDS);
          throw new AssertionError("a corrupt block was served");
        } catch (ExecutionException e) {
          assertThat(((OutpostException) e.getCause()).code()).isEqualTo(ErrorCode.BLOCK_CORRUPT);
        }
      }
      cache.flushed().join();
      assertThat(cache.contains(goodId)).isTrue();
      assertThat(cache.contains(badId)).isFalse();
      assertThat(cache.blockStore().contains(badId)).isFalse();
      assertThat(metrics.count(ProxyMetrics.ORIGIN_CORRUPT)).isEqualTo(1);
      // The corrupt block is not remembered as a failure: the next request asks again.
      flights.fetch(List.of(badId));
      assertThat(origin.asked.get()).isEqualTo(4);
      origin.answer();
    }
  }
}
