package dev.outpost.proxy;

import static dev.outpost.proxy.BlockCacheTest.block;
import static dev.outpost.proxy.BlockCacheTest.readOrStore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.store.SmallFilesystem;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BlockCache whose filesystem fills (a real tmpfs, {@link SmallFilesystem}): the cache lowers its bound to what its
 * LMDB file holds and goes on as an LRU of that size, deleting what it evicts.
 */
class CacheDiskFullTest {
  private static final long MIB = 1 << 20;
  private static final long CONFIGURED = 1L << 30;
  private static final String LIMIT = ProxyMetrics.PREFIX + "cache.limitBytes";

  @TempDir
  Path dir;

  @Test
  void aCacheThatFillsItsFilesystemLowersItsBoundAndKeepsWhatWasReadLast() throws IOException {
    try (SmallFilesystem fs = SmallFilesystem.mountOrSkip(dir.resolve("small"), 16 * MIB)) {
      ProxyMetrics metrics = new ProxyMetrics();
      try (BlockCache cache = BlockCache.open(fs.dir().resolve("cache"), CONFIGURED, 2 * CONFIGURED, 1000, metrics)) {
        assertThat(Files.size(fs.dir().resolve("cache").resolve("space-reserve"))).as("reserve: 1/64 of 16 MiB")
            .isEqualTo(256 << 10);
        Random r = new Random(21);
        List<BlockId> ids = new ArrayList<>();
        // 48 MiB of 64 KiB blocks, three times what the filesystem holds.
        for (int i = 0; i < 768; i++) {
          ids.add(readOrStore(cache, block(r, 64 << 10)));
        }
        cache.flushed().join();
        long limit = metrics.count(LIMIT);
        assertThat(limit).as("effective bound").isBetween(8 * MIB, 15 * MIB);
        assertThat(cache.weightedBytes()).isBetween(limit * 3 / 4, limit);
        assertThat(ids.subList(ids.size() - 64, ids.size())).as("the last 4 MiB read").allMatch(cache::contains);
        assertThat(cache.blockStore().count()).as("blocks in LMDB").isEqualTo(cache.entries());
      }
    }
  }

  @Test
  void whenAnotherWriterFillsTheDiskTheCacheStaysWithinTheFileItHas() throws IOException {
    try (SmallFilesystem fs = SmallFilesystem.mountOrSkip(dir.resolve("small"), 16 * MIB)) {
      ProxyMetrics metrics = new ProxyMetrics();
      try (BlockCache cache = BlockCache.open(fs.dir().resolve("cache"), CONFIGURED, 2 * CONFIGURED, 1000, metrics)) {
        Random r = new Random(22);
        for (int i = 0; i < 64; i++) {
          readOrStore(cache, block(r, 64 << 10));
        }
        cache.flushed().join();
        long file = Files.size(fs.dir().resolve("cache").resolve("data.mdb"));
        // Someone else takes every byte left: the cache's next write finds no room at all.
        fillUp(fs.dir().resolve("filler"));
        assertThat(fs.usableBytes()).isZero();

        List<BlockId> ids = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
          ids.add(readOrStore(cache, block(r, 64 << 10)));
        }
        cache.flushed().join();
        long limit = metrics.count(LIMIT);
        assertThat(limit).as("effective bound, within the %d-byte file", file).isPositive().isLessThan(file);
        assertThat(ids.subList(ids.size() - 8, ids.size())).as("the last 512 KiB read").allMatch(cache::contains);
        assertThat(cache.weightedBytes()).isLessThanOrEqualTo(limit);
        assertThat(cache.blockStore().count()).as("blocks in LMDB").isEqualTo(cache.entries());
      }
    }
  }

  @Test
  void aMapSmallerThanTheBoundIsTheRoomAndSaidSo() {
    // No full disk here: the map's maximum is the limit (LMDB's MapFull at maxMapBytes, not ENOSPC).
    ProxyMetrics metrics = new ProxyMetrics();
    try (BlockCache cache = BlockCache.open(dir.resolve("cache"), CONFIGURED, 8 * MIB, 1000, metrics)) {
      Random r = new Random(23);
      List<BlockId> ids = new ArrayList<>();
      for (int i = 0; i < 512; i++) {
        ids.add(readOrStore(cache, block(r, 64 << 10)));
      }
      cache.flushed().join();
      assertThat(cache.limitBytes()).isEqualTo(metrics.count(LIMIT)).isBetween(4 * MIB, 8 * MIB);
      assertThat(cache.limitReason()).contains("cache map full at 8.0 MiB (cache.maxMapBytes)");
      assertThat(cache.maxBytes()).isEqualTo(CONFIGURED);
      assertThat(ids.subList(ids.size() - 16, ids.size())).as("the last 1 MiB read").allMatch(cache::contains);
      assertThat(cache.blockStore().count()).isEqualTo(cache.entries());
    }
  }

  private static void fillUp(Path file) throws IOException {
    byte[] chunk = new byte[64 << 10];
    new Random(1).nextBytes(chunk);
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(chunk);
        out.flush();
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
        throw e;
      }
    }
    // What a 64 KiB write could not take: the last bytes, one at a time.
    try (OutputStream out = Files.newOutputStream(file, java.nio.file.StandardOpenOption.APPEND)) {
      while (true) {
        out.write(0);
        out.flush();
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
        throw e;
      }
    }
  }
}
