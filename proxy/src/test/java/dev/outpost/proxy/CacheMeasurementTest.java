package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.crypto.BlockIds;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.metrics.ProxyMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/** Opt-in figures: {@code mvn -pl proxy test -Dtest=CacheMeasurementTest -Doutpost.measure=true}. */
@EnabledIfSystemProperty(named = "outpost.measure", matches = "true")
class CacheMeasurementTest {
  @TempDir
  Path dir;

  @Test
  void indexRebuildAndVerifiedReads() {
    int blocks = Integer.getInteger("outpost.measure.blocks", 200_000);
    Random r = new Random(1);
    List<BlockId> sample = new ArrayList<>();
    long fillStart = System.nanoTime();
    try (BlockCache cache = BlockCache.open(dir, 16L << 30, 32L << 30, 1000, new ProxyMetrics())) {
      for (int i = 0; i < blocks; i++) {
        byte[] b = new byte[200];
        r.nextBytes(b);
        BlockId id = BlockIds.of(b);
        if (i % 1000 == 0) {
          sample.add(id);
        }
        cache.store(id, b);
      }
      cache.flushed().join();
      // 64 KiB blocks for read throughput (verify on read included).
      List<BlockId> big = new ArrayList<>();
      for (int i = 0; i < 512; i++) {
        byte[] b = new byte[64 << 10];
        r.nextBytes(b);
        BlockId id = BlockIds.of(b);
        big.add(id);
        cache.store(id, b);
      }
      cache.flushed().join();
      System.out.printf("filled %d small blocks in %d ms%n", blocks, (System.nanoTime() - fillStart) / 1_000_000);
      long readStart = System.nanoTime();
      long bytes = 0;
      for (int round = 0; round < 8; round++) {
        for (BlockId id : big) {
          ByteBuf buf = cache.read(id, PooledByteBufAllocator.DEFAULT).orElseThrow();
          bytes += buf.readableBytes();
          buf.release();
        }
      }
      double secs = (System.nanoTime() - readStart) / 1e9;
      System.out.printf("verified reads of 64 KiB blocks: %.0f MiB/s (%.0f blocks/s) on one thread%n",
          bytes / secs / (1 << 20), 8 * big.size() / secs);
    }
    try (BlockCache cache = BlockCache.open(dir, 16L << 30, 32L << 30, 1000, new ProxyMetrics())) {
      System.out.printf("index rebuild: %d blocks in %d ms%n", cache.entries(), cache.rebuildTime().toMillis());
      assertThat(cache.entries()).isEqualTo(blocks + 512L);
      assertThat(sample).allMatch(cache::contains);
    }
  }
}
