package dev.outpost.proxy.warm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.ReadDir;
import dev.outpost.proxy.attrs.AttrCache;
import dev.outpost.proxy.admin.AdminFixture;
import dev.outpost.proxy.metrics.ProxyMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Warm jobs against a real origin and proxy: fetch counts, listings, resume after restart, rate, pins. */
class WarmJobTest {
  @TempDir
  Path dir;

  private static List<BlockId> liveBlocks(AdminFixture f, String path) {
    List<BlockId> ids = new ArrayList<>();
    new OriginLister(f.proxy.link(), 10_000).list("", path, b -> b.forEach(r -> ids.add(r.id())), () -> false);
    return ids;
  }

  @Test
  void warmingTheLatestSnapshotMakesLaterReadsFetchNoBlocksFromOrigin() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      List<byte[]> files = f.writeFiles("/proj", 4, 600_000, 1);
      f.snapshot("nightly-1");
      JobView queued = f.proxy.admin().jobs().submit(new WarmSpec(WarmSpec.LATEST, List.of("/proj"), false, 0));
      assertThat(queued.snapshot()).as("latest resolved at submit").isEqualTo("nightly-1");
      JobView done = f.awaitJob(queued.id(), 60);
      assertThat(done.state()).isEqualTo(JobState.DONE);
      assertThat(done.blocksTotal()).isGreaterThan(4);
      assertThat(done.blocksFetched()).isEqualTo(done.blocksTotal());
      assertThat(done.bytesFetched()).isEqualTo(done.bytesTotal()).isGreaterThan(2_400_000);
      assertThat(done.blocksPresent()).isZero();
      assertThat(done.blocksFailed()).isZero();
      f.proxy.cache().flushed().join();

      long before = f.originBlocksSent();
      long fetchesBefore = f.proxy.metrics().count(ProxyMetrics.ORIGIN_BLOCK_FETCHES);
      OutpostClient viaProxy = f.viaProxy();
      for (int i = 0; i < files.size(); i++) {
        assertThat(AdminFixture.readAll(viaProxy, "/proj/f" + i + ".bin")).isEqualTo(files.get(i));
      }
      assertThat(f.originBlocksSent() - before).as("blocks the origin sent for the reads").isZero();
      assertThat(f.proxy.metrics().count(ProxyMetrics.ORIGIN_BLOCK_FETCHES) - fetchesBefore).isZero();

      JobView again = f.awaitJob(f.proxy.admin().jobs()
          .submit(new WarmSpec("nightly-1", List.of("/proj"), false, 0)).id(), 60);
      assertThat(again.blocksPresent()).isEqualTo(done.blocksTotal());
      assertThat(again.blocksFetched()).isZero();
    }
  }

  /**
   * A 1 TiB sparse file (one zero chunk under index blocks repeated millions of times) warms as its few distinct
   * blocks, and reads through the proxy afterwards ask the origin for nothing.
   */
  @Test
  void aSparseTebibyteFileWarmsAsItsFewDistinctBlocks() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      OutpostClient direct = f.direct();
      direct.mkdir("/sparse", false);
      byte[] head = new byte[70_000];
      new java.util.Random(5).nextBytes(head);
      direct.write("/sparse/tb", head, WriteOptions.DEFAULTS);
      direct.truncate("/sparse/tb", 1L << 40);
      f.snapshot("nightly-1");
      JobView done = f.awaitJob(f.proxy.admin().jobs()
          .submit(new WarmSpec("nightly-1", List.of("/sparse"), false, 0)).id(), 60);
      assertThat(done.state()).isEqualTo(JobState.DONE);
      assertThat(done.blocksTotal()).isBetween(3L, 20L);
      assertThat(done.bytesTotal()).isLessThan(512 << 10);
      f.proxy.cache().flushed().join();

      long before = f.originBlocksSent();
      OutpostClient viaProxy = f.viaProxy();
      byte[] b = new byte[1 << 20];
      for (long at : new long[] {0, 1L << 39, (1L << 40) - b.length}) {
        assertThat(viaProxy.read("/sparse/tb", at, b, 0, b.length)).isEqualTo(b.length);
        if (at == 0) {
          assertThat(java.util.Arrays.copyOf(b, head.length)).isEqualTo(head);
        } else {
          assertThat(b).containsOnly(0);
        }
      }
      assertThat(f.originBlocksSent() - before).as("blocks the origin sent for the reads").isZero();
    }
  }

  /** /proj with two levels of subdirectories, files at every level, and /other beside it. */
  private static void writeTree(AdminFixture f) {
    OutpostClient direct = f.direct();
    direct.mkdir("/proj/a/b/c", true);
    direct.mkdir("/proj/d", true);
    direct.mkdir("/other/o", true);
    int n = 0;
    for (String d : List.of("/proj", "/proj/a", "/proj/a/b", "/proj/a/b/c", "/proj/d", "/other", "/other/o")) {
      for (int i = 0; i < 3; i++) {
        direct.write(d + "/f" + i + ".txt", ("file " + n++ + " in " + d).getBytes(), WriteOptions.DEFAULTS);
      }
    }
  }

  /** What a tree walker does (find, ls -lR, a build): stat the top, list every directory, stat every entry. */
  private static List<String> walk(OutpostClient c, String top) {
    c.stat(top);
    List<String> files = new ArrayList<>();
    walkBelow(c, top, files);
    return files;
  }

  private static void walkBelow(OutpostClient c, String dir, List<String> files) {
    for (DirEntry e : c.list(dir)) {
      String path = VolumePath.join(dir, e.name());
      assertThat(c.stat(path).type()).isEqualTo(e.attr().type());
      if (e.attr().type() == FileType.DIRECTORY) {
        walkBelow(c, path, files);
      } else {
        files.add(path);
      }
    }
  }

  private static boolean pageCached(AdminFixture f, String dir) {
    return f.proxy.attrs().page(dir, new AttrCache.PageKey("", ReadDir.MAX_ENTRIES)).isPresent();
  }

  @Test
  void afterWarmingASnapshotATreeWalkAsksTheOriginNothingAndLaterChangesAreStillSeen() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      writeTree(f);
      f.snapshot("nightly-1");
      f.awaitProxyCaughtUp();
      JobView done = f.awaitJob(f.proxy.admin().jobs()
          .submit(new WarmSpec(WarmSpec.LATEST, List.of("/proj"), false, 0)).id(), 60);
      assertThat(done.state()).isEqualTo(JobState.DONE);
      assertThat(done.dirsListed()).as("/proj, a, a/b, a/b/c, d").isEqualTo(5);
      f.proxy.cache().flushed().join();
      f.awaitProxyCaughtUp();

      long attrMisses = f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES);
      long readdirs = f.originOps("readdir");
      long getattrs = f.originOps("getattr");
      long blocks = f.originBlocksSent();
      OutpostClient viaProxy = f.viaProxy();
      List<String> files = walk(viaProxy, "/proj");
      assertThat(files).hasSize(15);
      for (String file : files) {
        assertThat(new String(AdminFixture.readAll(viaProxy, file))).endsWith(" in " + VolumePath.parent(file));
      }
      assertThat(f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES) - attrMisses).as("attribute misses").isZero();
      assertThat(f.originOps("readdir") - readdirs).as("listings the origin answered").isZero();
      assertThat(f.originOps("getattr") - getattrs).as("getattrs the origin answered").isZero();
      assertThat(f.originBlocksSent() - blocks).as("blocks the origin sent").isZero();

      // The warmed listings are dropped by change events like any other entry.
      OutpostClient direct = f.direct();
      direct.write("/proj/a/b/new.txt", "new".getBytes(), WriteOptions.DEFAULTS);
      direct.mkdir("/proj/d/e", false);
      String rewritten = "rewritten, longer than before";
      direct.write("/proj/d/f0.txt", rewritten.getBytes(), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(viaProxy.list("/proj/a/b")).extracting(DirEntry::name).contains("new.txt");
      assertThat(viaProxy.list("/proj/d")).extracting(DirEntry::name).contains("e");
      assertThat(viaProxy.stat("/proj/d/f0.txt").size()).isEqualTo(rewritten.length());
      assertThat(new String(AdminFixture.readAll(viaProxy, "/proj/d/f0.txt"))).isEqualTo(rewritten);
      assertThat(f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES) - attrMisses).as("the changed entries asked again")
          .isPositive();
    }
  }

  @Test
  void listingsOutsideTheJobsPathsAreNotFetched() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      writeTree(f);
      f.awaitProxyCaughtUp();
      long readdirs = f.originOps("readdir");
      JobView done = f.awaitJob(f.proxy.admin().jobs()
          .submit(new WarmSpec("", List.of("/proj/a"), false, 0)).id(), 60);
      assertThat(done.state()).isEqualTo(JobState.DONE);
      assertThat(done.dirsListed()).isEqualTo(3);
      assertThat(f.originOps("readdir") - readdirs).as("/proj/a, a/b, a/b/c listed, nothing else").isEqualTo(3);
      assertThat(List.of("/proj/a", "/proj/a/b", "/proj/a/b/c")).allMatch(d -> pageCached(f, d));
      assertThat(List.of("/", "/proj", "/proj/d", "/other", "/other/o")).noneMatch(d -> pageCached(f, d));
      // The directories above a job path have their attributes fetched (a client stats its way down), no listing.
      assertThat(List.of("/", "/proj", "/proj/a")).allMatch(p -> f.proxy.attrs().attr(p).isPresent());

      f.awaitProxyCaughtUp();
      long attrMisses = f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES);
      OutpostClient viaProxy = f.viaProxy();
      assertThat(walk(viaProxy, "/proj/a")).hasSize(9);
      assertThat(f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES) - attrMisses).as("inside the job's path").isZero();
      assertThat(viaProxy.list("/other")).hasSize(4);
      assertThat(f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES) - attrMisses).as("outside it").isEqualTo(1);
    }
  }

  @Test
  void unknownSnapshotIsRefusedAtSubmitAndBadSpecsAreTyped() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      f.awaitLinkUp();
      assertThatThrownBy(() -> f.proxy.admin().jobs().submit(new WarmSpec("nope", List.of("/"), false, 0)))
          .isInstanceOf(OutpostException.class).hasMessageContaining("no snapshot 'nope'")
          .extracting(e -> ((OutpostException) e).code()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThatThrownBy(() -> f.proxy.admin().jobs().submit(new WarmSpec(WarmSpec.LATEST, List.of("/"), false, 0)))
          .isInstanceOf(OutpostException.class).hasMessageContaining("no snapshots")
          .extracting(e -> ((OutpostException) e).code()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThatThrownBy(() -> new WarmSpec("", List.of("relative"), false, 0)).isInstanceOf(OutpostException.class);
      assertThatThrownBy(() -> new WarmSpec("", List.of("/"), false, 10)).isInstanceOf(OutpostException.class)
          .hasMessageContaining("rateBytesPerSec");
      assertThatThrownBy(() -> new WarmSpec("../x", List.of("/"), false, 0)).isInstanceOf(OutpostException.class);
    }
  }

  @Test
  void aJobInterruptedByARestartResumesWithoutFetchingAnyBlockTwice() throws Exception {
    try (AdminFixture f = AdminFixture.start(dir)) {
      f.writeFiles("/big", 6, 500_000, 7);
      f.snapshot("s1");
      long sentBefore = f.originBlocksSent();
      JobView job = f.proxy.admin().jobs().submit(new WarmSpec("s1", List.of("/big"), false, 1 << 20));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (f.proxy.admin().jobs().get(job.id()).orElseThrow().bytesFetched() < 700_000) {
        assertThat(System.nanoTime()).as("job progressing").isLessThan(deadline);
        AdminFixture.pause(20);
      }
      f.stopProxy();
      assertThat(Files.readString(dir.resolve("cache").resolve(WarmJobs.FILE))).contains(job.id(), "RUNNING");
      long sentAtStop = f.originBlocksSent() - sentBefore;

      f.startProxy();
      JobView done = f.awaitJob(job.id(), 60);
      assertThat(done.state()).isEqualTo(JobState.DONE);
      assertThat(done.blocksPresent()).as("fetched before the restart").isGreaterThan(0);
      assertThat(done.blocksPresent() + done.blocksFetched()).isEqualTo(done.blocksTotal());
      assertThat(f.originBlocksSent() - sentBefore).as("each block sent by the origin once over both runs")
          .isEqualTo(done.blocksTotal());
      assertThat(done.blocksFetched()).isEqualTo(done.blocksTotal() - sentAtStop);
    }
  }

  @Test
  void fetchRateStaysWithinTenPercentOfTheCap() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      f.writeFiles("/rate", 5, 800_000, 21);
      long rate = 1 << 20;
      JobView done = f.awaitJob(f.proxy.admin().jobs().submit(new WarmSpec("", List.of("/rate"), false, rate)).id(), 60);
      assertThat(done.state()).isEqualTo(JobState.DONE);
      assertThat(done.bytesFetched()).isGreaterThan(3_900_000);
      double seconds = (done.finishedAtMillis() - done.startedAtMillis()) / 1000.0;
      assertThat(done.bytesFetched() / seconds).isCloseTo(rate, Percentage.withPercentage(10));
    }
  }

  @Test
  void pinnedBlocksSurviveEvictionPressureAndARestart() {
    try (AdminFixture f = new AdminFixture(dir, "1MiB")) {
      f.writeFiles("/keep", 1, 600_000, 3);
      List<byte[]> churn = f.writeFiles("/churn", 4, 700_000, 4);
      JobView pinned = f.awaitJob(f.proxy.admin().jobs().submit(new WarmSpec("", List.of("/keep"), true, 0)).id(), 60);
      assertThat(pinned.state()).isEqualTo(JobState.DONE);
      List<BlockId> keep = liveBlocks(f, "/keep");
      assertThat(keep).hasSize((int) pinned.blocksTotal());

      // Pins are persisted: after a restart the same blocks are pinned again.
      f.stopProxy();
      f.startProxy();
      assertThat(keep).allMatch(f.proxy.cache()::isPinned).allMatch(f.proxy.cache()::contains);

      OutpostClient viaProxy = f.viaProxy();
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < churn.size(); i++) {
          assertThat(AdminFixture.readAll(viaProxy, "/churn/f" + i + ".bin")).isEqualTo(churn.get(i));
        }
      }
      f.proxy.cache().flushed().join();
      assertThat(f.proxy.metrics().count(ProxyMetrics.EVICTIONS)).as("the churn overflowed the cache").isPositive();
      assertThat(keep).allMatch(f.proxy.cache()::contains);

      // Evict never drops pinned blocks; after unpin it does (unpinned, they also count against the full cache
      // again, so the cache itself may already have evicted some or all of them before evict runs).
      assertThat(f.proxy.admin().paths().evict("/keep").blocks()).isZero();
      assertThat(f.proxy.admin().paths().unpin("/keep").blocks()).isEqualTo(keep.size());
      assertThat(f.proxy.admin().paths().evict("/keep").blocks()).isBetween(0L, (long) keep.size());
      assertThat(keep).noneMatch(f.proxy.cache()::contains);
    }
  }
}
