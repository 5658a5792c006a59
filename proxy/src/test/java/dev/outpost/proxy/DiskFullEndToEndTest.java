package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.proxy.admin.AdminFixture;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.store.SmallFilesystem;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxy cache and origin data on real full filesystems (tmpfs of a few MiB, {@link SmallFilesystem}): nothing about
 * the disk is simulated, the kernel says ENOSPC.
 */
class DiskFullEndToEndTest {
  private static final long MIB = 1 << 20;
  private static final int FILES = 200;
  private static final int FILE_BYTES = 1 << 20;
  private static final int REREAD_FILES = 40;

  @TempDir
  Path dir;

  private static String path(int i) {
    return "/big/f" + i + ".bin";
  }

  private static byte[] content(int i) {
    byte[] b = new byte[FILE_BYTES];
    new Random(1000 + i).nextBytes(b);
    return b;
  }

  @Test
  void aCacheOnAFullFilesystemLowersItsBoundOnceAndKeepsWorkingAsAnLru() {
    try (SmallFilesystem fs = SmallFilesystem.mountOrSkip(dir.resolve("cache"), 64 * MIB);
        LogCapture log = LogCapture.attach();
        AdminFixture f = new AdminFixture(dir, "1GiB")) {
      OutpostClient writer = f.direct();
      writer.mkdir("/big", true);
      for (int i = 0; i < FILES; i++) {
        writer.write(path(i), content(i), WriteOptions.DEFAULTS);
      }
      f.awaitProxyCaughtUp();

      // 200 MiB of distinct files through a cache whose filesystem holds 64 MiB: every read is right.
      OutpostClient reader = f.viaProxy();
      for (int i = 0; i < FILES; i++) {
        assertThat(AdminFixture.readAll(reader, path(i))).as(path(i)).isEqualTo(content(i));
      }
      f.proxy.cache().flushed().join();

      JsonNode cache = f.api("GET", "/api/status", null, 200).path("cache");
      long limit = cache.path("limitBytes").asLong();
      long stored = cache.path("bytes").asLong();
      long lmdbBlocks = f.proxy.cache().blockStore().count();
      long indexed = f.proxy.cache().entries();

      // An LRU of the smaller size: the last 40 MiB read are served from the cache.
      long hits = f.proxy.metrics().count(ProxyMetrics.CACHE_HITS);
      long misses = f.proxy.metrics().count(ProxyMetrics.CACHE_MISSES);
      for (int i = FILES - REREAD_FILES; i < FILES; i++) {
        assertThat(AdminFixture.readAll(reader, path(i))).as(path(i)).isEqualTo(content(i));
      }
      long h = f.proxy.metrics().count(ProxyMetrics.CACHE_HITS) - hits;
      long m = f.proxy.metrics().count(ProxyMetrics.CACHE_MISSES) - misses;
      double reread = (double) h / (h + m);
      System.out.printf("cache on a 64 MiB filesystem after reading %d MiB: %s; %d blocks in LMDB, %d indexed; "
          + "re-reading the last %d MiB: %d hits, %d misses (%.0f %%); %d WARN/ERROR lines%n", FILES * FILE_BYTES / MIB,
          cache, lmdbBlocks, indexed, REREAD_FILES, h, m, reread * 100, log.count());

      assertThat(cache.path("configuredLimitBytes").asLong()).isEqualTo(1L << 30);
      assertThat(limit).as("effective bound, below what the 64 MiB filesystem holds").isBetween(40 * MIB, 60 * MIB);
      assertThat(cache.path("limitReason").asText()).contains("filesystem full");
      assertThat(f.proxy.metrics().count(ProxyMetrics.PREFIX + "cache.limitBytes")).isEqualTo(limit);
      // The cache went on filling after the disk did: it holds about its new bound, and LMDB what the index holds.
      assertThat(stored).isBetween(limit * 3 / 4, limit);
      assertThat(lmdbBlocks).isEqualTo(indexed);
      assertThat(reread).as("hit ratio re-reading the last %d MiB: %d hits, %d misses", REREAD_FILES, h, m)
          .isGreaterThan(0.9);

      List<String> lines = log.lines();
      assertThat(log.count()).as("WARN and ERROR lines: %s", lines).isLessThanOrEqualTo(10);
      assertThat(lines).as("said once, with the figures").filteredOn(l -> l.contains("cache bound lowered")).hasSize(1);
      assertThat(String.join("\n", lines)).doesNotContain("EIO").doesNotContain("Input/output error");
    }
  }

  @Test
  void writesToAnOriginOnAFullFilesystemFailNoSpaceNamingNoServerPath() {
    try (SmallFilesystem fs = SmallFilesystem.mountOrSkip(dir.resolve("data"), 24 * MIB);
        LogCapture log = LogCapture.attach();
        AdminFixture f = new AdminFixture(dir, "256MiB")) {
      byte[] kept = content(0);
      f.direct().write("/kept.bin", kept, WriteOptions.DEFAULTS);
      for (Map.Entry<String, OutpostClient> c : List.of(Map.entry("/direct", f.direct()),
          Map.entry("/via-proxy", f.viaProxy()))) {
        OutpostException e = fillUntilFull(c.getValue(), c.getKey());
        assertThat(e.code()).as("%s: %s", c.getKey(), e).isEqualTo(ErrorCode.NO_SPACE);
        assertThat(e.getMessage()).as(c.getKey()).contains("disk is full")
            .doesNotContain(dir.toString()).doesNotContain("EIO");
      }
      // The path is for the server's log, and the origin still serves what it stored.
      assertThat(log.lines()).anyMatch(l -> l.contains(fs.dir().toString()) && l.contains("disk is full"));
      assertThat(AdminFixture.readAll(f.direct(), "/kept.bin")).isEqualTo(kept);
    }
  }

  /** Writes 1 MiB files under {@code dir} until a write fails (at most twice the filesystem's size); the failure. */
  private static OutpostException fillUntilFull(OutpostClient c, String dir) {
    try {
      c.mkdir(dir, true);
      for (int i = 0; i < 48; i++) {
        c.write(dir + "/f" + i + ".bin", content(10_000 + i), WriteOptions.DEFAULTS);
      }
    } catch (OutpostException e) {
      return e;
    }
    throw new AssertionError("48 MiB written to a 24 MiB filesystem without a failure");
  }
}
