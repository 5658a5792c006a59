package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.FileAttr;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.StorageConfig;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Origin, proxy and client library, all real, on 127.0.0.1. */
class ProxyEndToEndTest {
  @TempDir
  Path dir;

  private static byte[] random(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] readAll(OutpostClient c, String path) {
    try (InputStream in = c.openRead(path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void readsThroughProxyAreByteIdenticalAndSecondReadCostsNoOriginTrip() {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      OutpostClient direct = f.direct();
      byte[] big = random(1, 1_500_000);
      byte[] small = random(2, 10_000);
      direct.mkdir("/docs", true);
      direct.write("/docs/big.bin", big, WriteOptions.DEFAULTS);
      direct.write("/docs/small.txt", small, WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();

      OutpostClient viaProxy = f.viaProxy();
      assertThat(readAll(viaProxy, "/docs/big.bin")).isEqualTo(readAll(direct, "/docs/big.bin")).isEqualTo(big);
      assertThat(readAll(viaProxy, "/docs/small.txt")).isEqualTo(small);
      assertThat(viaProxy.list("/docs")).isEqualTo(direct.list("/docs"));
      assertThat(viaProxy.stat("/docs/big.bin")).isEqualTo(direct.stat("/docs/big.bin"));
      f.proxy.cache().flushed().join();

      long blocksBefore = f.originBlocksSent();
      // The proxy counts every attribute request it sends upstream before sending it; the origin's own timer
      // is only updated after its reply leaves, which would race with this snapshot.
      long attrTripsBefore = f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES);
      OutpostClient second = f.viaProxy();
      assertThat(readAll(second, "/docs/big.bin")).isEqualTo(big);
      assertThat(readAll(second, "/docs/small.txt")).isEqualTo(small);
      assertThat(second.list("/docs")).hasSize(2);
      assertThat(f.originBlocksSent() - blocksBefore).as("blocks fetched from the origin on the second read").isZero();
      assertThat(f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES) - attrTripsBefore)
          .as("attribute round trips on the second read").isZero();
      assertThat(f.proxy.metrics().count(ProxyMetrics.CACHE_HITS)).isPositive();
      assertThat(f.proxy.metrics().count(ProxyMetrics.ATTR_HITS)).isPositive();
    }
  }

  @Test
  void errorsKeepTheirCodesAndBadTokensAreRefusedAtTheProxy() {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      OutpostClient viaProxy = f.viaProxy();
      assertThatThrownBy(() -> viaProxy.stat("/nope")).isInstanceOf(OutpostException.class)
          .extracting(e -> ((OutpostException) e).code()).isEqualTo(ErrorCode.NOT_FOUND);
      viaProxy.write("/a.txt", random(3, 100), WriteOptions.DEFAULTS);
      FileAttr a = viaProxy.stat("/a.txt");
      // A write with a stale base version: CONFLICT relayed unchanged.
      assertThatThrownBy(() -> viaProxy.write("/a.txt", random(4, 10),
          WriteOptions.DEFAULTS.withBaseVersion(a.version() + 5)))
          .isInstanceOf(OutpostException.class)
          .extracting(e -> ((OutpostException) e).code()).isEqualTo(ErrorCode.CONFLICT);

      EventLoopGroup group = Transports.newGroup("test-raw", 1);
      try {
        assertThatThrownBy(() -> RpcClient.connect(group, f.proxy.address(), RpcClient.Options.plain("t", "garbage")))
            .isInstanceOf(OutpostException.class)
            .extracting(e -> ((OutpostException) e).code()).isEqualTo(ErrorCode.UNAUTHORIZED);
      } finally {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      }
    }
  }

  @Test
  void writesThroughTheProxyAreVisibleAtOnceThroughTheProxy() {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      f.awaitProxyCaughtUp();
      OutpostClient viaProxy = f.viaProxy();
      viaProxy.write("/ryw.txt", random(5, 1000), WriteOptions.DEFAULTS);
      assertThat(readAll(viaProxy, "/ryw.txt")).isEqualTo(random(5, 1000));
      for (int i = 0; i < 5; i++) {
        byte[] content = random(100 + i, 2000 + i);
        viaProxy.write("/ryw.txt", content, WriteOptions.DEFAULTS);
        // No waiting for the change event: the proxy dropped its cached attributes before acknowledging.
        assertThat(readAll(viaProxy, "/ryw.txt")).isEqualTo(content);
      }
      viaProxy.mv("/ryw.txt", "/moved.txt");
      assertThat(viaProxy.statIfExists("/ryw.txt")).isEmpty();
      assertThat(viaProxy.list("/")).extracting(e -> e.name()).contains("moved.txt").doesNotContain("ryw.txt");
    }
  }

  @Test
  void changesAtTheOriginDropCachedAttributesAndAreSeenAtNextOpen() throws Exception {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      OutpostClient direct = f.direct();
      direct.write("/shared.txt", random(10, 5000), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      OutpostClient viaProxy = f.viaProxy();
      assertThat(readAll(viaProxy, "/shared.txt")).isEqualTo(random(10, 5000));

      int rounds = 40;
      long[] micros = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        byte[] content = random(1000 + i, 3000 + i);
        assertThat(viaProxy.stat("/shared.txt").size()).isEqualTo(i == 0 ? 5000 : 3000 + i - 1); // cached now
        CompletableFuture<Long> dropped = new CompletableFuture<>();
        f.proxy.attrs().onInvalidate(p -> {
          if (p.equals("/shared.txt")) {
            dropped.complete(System.nanoTime());
          }
        });
        direct.write("/shared.txt", content, WriteOptions.DEFAULTS);
        long committed = System.nanoTime();
        long at = dropped.get(10, TimeUnit.SECONDS);
        micros[i] = Math.max(0, (at - committed) / 1000);
        f.awaitProxyCaughtUp();
        assertThat(readAll(viaProxy, "/shared.txt")).isEqualTo(content);
      }
      Arrays.sort(micros);
      System.out.printf("invalidation latency after the origin's commit reply (us, %d rounds): p50=%d p90=%d max=%d%n",
          rounds, micros[rounds / 2], micros[rounds * 9 / 10], micros[rounds - 1]);
      assertThat(f.proxy.metrics().count(ProxyMetrics.INVALIDATIONS)).isGreaterThanOrEqualTo(rounds);
    }
  }

  @Test
  void restartKeepsCacheAndJournalPositionAndCatchesUp() {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      OutpostClient direct = f.direct();
      byte[] keep = random(20, 700_000);
      direct.write("/keep.bin", keep, WriteOptions.DEFAULTS);
      direct.write("/edit.txt", random(21, 100), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(readAll(f.viaProxy(), "/keep.bin")).isEqualTo(keep);
      assertThat(readAll(f.viaProxy(), "/edit.txt")).isEqualTo(random(21, 100));
      f.proxy.cache().flushed().join();
      long entries = f.proxy.cache().entries();
      long seq = f.proxy.subscription().appliedSeq();
      f.stopProxy();

      direct.write("/edit.txt", random(22, 200), WriteOptions.DEFAULTS);
      direct.write("/new.txt", random(23, 300), WriteOptions.DEFAULTS);
      f.startProxy();
      assertThat(f.proxy.cache().entries()).isEqualTo(entries);
      System.out.printf("cache index rebuilt at restart: %d blocks in %d ms%n", entries,
          f.proxy.cache().rebuildTime().toMillis());
      f.awaitProxyCaughtUp();
      assertThat(f.proxy.subscription().appliedSeq()).isGreaterThan(seq);
      assertThat(f.proxy.metrics().count(ProxyMetrics.RESYNCS)).isZero();

      long blocksBefore = f.originBlocksSent();
      OutpostClient viaProxy = f.viaProxy();
      assertThat(readAll(viaProxy, "/keep.bin")).isEqualTo(keep);
      assertThat(f.originBlocksSent() - blocksBefore).as("unchanged file after restart").isZero();
      assertThat(readAll(viaProxy, "/edit.txt")).isEqualTo(random(22, 200));
      assertThat(readAll(viaProxy, "/new.txt")).isEqualTo(random(23, 300));
    }
  }

  @Test
  void aFlippedBitInACachedBlockIsDetectedAndHealed() {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      OutpostClient direct = f.direct();
      byte[] content = random(30, 200_000);
      direct.write("/rot.bin", content, WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(readAll(f.viaProxy(), "/rot.bin")).isEqualTo(content);
      f.proxy.cache().flushed().join();
      f.stopProxy();

      // Flip one bit of one cached value behind the proxy's back.
      BlockId victim;
      try (LmdbStorage storage = LmdbStorage.open(f.cacheDir, new StorageConfig(64L << 20, 1L << 30, 16, false))) {
        var blocks = storage.blockStore(dev.outpost.proxy.cache.BlockCache.BLOCKS);
        List<BlockId> ids = new ArrayList<>();
        blocks.forEachId((id, len) -> ids.add(id));
        victim = ids.get(0);
        byte[] bytes = new byte[blocks.get(victim, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT).map(b -> {
          try {
            return b.readableBytes();
          } finally {
            b.release();
          }
        }).orElseThrow()];
        blocks.withBlock(victim, bb -> bb.duplicate().get(bytes));
        bytes[bytes.length / 2] ^= 0x10; // in the cipher, past the CRC in front
        blocks.delete(victim);
        blocks.put(victim, ByteBuffer.wrap(bytes));
      }

      f.startProxy();
      f.awaitProxyCaughtUp();
      long blocksBefore = f.originBlocksSent();
      assertThat(readAll(f.viaProxy(), "/rot.bin")).isEqualTo(content);
      assertThat(f.proxy.metrics().count(ProxyMetrics.CORRUPT_DROPPED)).isEqualTo(1);
      assertThat(f.originBlocksSent() - blocksBefore).as("only the rotten block is fetched again").isEqualTo(1);
      f.proxy.cache().flushed().join();
      assertThat(readAll(f.viaProxy(), "/rot.bin")).isEqualTo(content);
      assertThat(f.proxy.metrics().count(ProxyMetrics.CORRUPT_DROPPED)).as("healed").isEqualTo(1);
      assertThat(f.proxy.cache().contains(victim)).isTrue();
    }
  }

  @Test
  void theServeCommandRunsAProxyClientsCanUse() throws Exception {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      f.direct().write("/cli.txt", random(40, 3000), WriteOptions.DEFAULTS);
      f.stopProxy();
      java.io.PipedOutputStream pipe = new java.io.PipedOutputStream();
      java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(
          new java.io.PipedInputStream(pipe, 1 << 16), java.nio.charset.StandardCharsets.UTF_8));
      CompletableFuture<Void> stop = new CompletableFuture<>();
      CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> dev.outpost.proxy.cli.ProxyMain.run(
          new java.io.PrintStream(pipe, true, java.nio.charset.StandardCharsets.UTF_8), System.err, stop,
          "serve", "--config", f.proxyConfigFile().toString()));
      String line = lines.readLine();
      assertThat(line).contains("listening on 127.0.0.1:");
      int port = Integer.parseInt(line.replaceAll(".*listening on 127\\.0\\.0\\.1:(\\d+),.*", "$1"));
      try (OutpostClient c = OutpostClient.connect(dev.outpost.client.ClientConfig.of("127.0.0.1:" + port,
          f.adminToken, f.keyFile))) {
        assertThat(readAll(c, "/cli.txt")).isEqualTo(random(40, 3000));
      }
      stop.complete(null);
      assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
      pipe.close();
    }
  }

  @Test
  void mutualTlsToTheOriginAndTlsToClients() {
    try (ProxyFixture f = new ProxyFixture(dir, "", true)) {
      byte[] content = random(50, 300_000);
      f.direct().write("/tls.bin", content, WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(readAll(f.viaProxy(), "/tls.bin")).isEqualTo(content);
    }
  }

  @Test
  void metricsAreServedAsPrometheusTextAndJson() throws Exception {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      f.direct().write("/m.txt", random(60, 100), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      readAll(f.viaProxy(), "/m.txt");
      var addr = f.proxy.metricsAddress().orElseThrow();
      var http = java.net.http.HttpClient.newHttpClient();
      var response = http.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + addr.getPort() + "/metrics.json")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).contains(ProxyMetrics.CACHE_MISSES, ProxyMetrics.LINK_STATE,
          ProxyMetrics.ORIGIN_RTT, ProxyMetrics.SUBSCRIPTION_LAG, ProxyMetrics.REQUESTS + "getattr");
      var text = http.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + addr.getPort() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(text.body()).contains("outpost_proxy_cache_misses");
      http.close();
    }
  }

  @Test
  void absentPathsAreRememberedUntilTheyAppear() {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      f.awaitProxyCaughtUp();
      OutpostClient viaProxy = f.viaProxy();
      assertThat(viaProxy.statIfExists("/later/x.txt")).isEmpty();
      long trips = f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES);
      assertThat(viaProxy.statIfExists("/later/x.txt")).isEmpty();
      assertThat(f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES)).as("second probe answered locally").isEqualTo(trips);

      OutpostClient direct = f.direct();
      direct.mkdir("/elsewhere", true);
      direct.write("/elsewhere/x.txt", random(70, 10), WriteOptions.DEFAULTS);
      direct.mv("/elsewhere", "/later"); // the file appears by a directory rename above it
      f.awaitProxyCaughtUp();
      assertThat(viaProxy.stat("/later/x.txt").size()).isEqualTo(10);

      direct.symlink("/link", "/later/x.txt");
      f.awaitProxyCaughtUp();
      assertThat(viaProxy.stat("/link").linkTarget()).isEqualTo("/later/x.txt");
      long before = f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES);
      assertThat(viaProxy.readlink("/link")).isEqualTo("/later/x.txt");
      assertThat(f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES)).as("readlink from cached attributes").isEqualTo(before);

      assertThat(viaProxy.statIfExists("/new.txt")).isEmpty();
      direct.write("/new.txt", random(71, 20), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(viaProxy.stat("/new.txt").size()).isEqualTo(20);
    }
  }

  @Test
  void walkingAColdTreeCostsOneRoundTrip() throws Exception {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      OutpostClient direct = f.direct();
      direct.mkdir("/src", true);
      for (int i = 0; i < 20; i++) {
        direct.write("/src/f" + i + ".txt", random(200 + i, 500 + 100 * i), WriteOptions.DEFAULTS);
      }
      // Several chunks under an index block: its data blocks are asked for when the index block arrives.
      direct.write("/src/big.bin", random(300, 400_000), WriteOptions.DEFAULTS);
      direct.mkdir("/src/sub/deeper", true);
      direct.write("/src/sub/s.txt", random(301, 3000), WriteOptions.DEFAULTS);
      direct.write("/src/sub/deeper/d.txt", random(302, 3000), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      OutpostClient viaProxy = f.viaProxy();
      assertThat(viaProxy.list("/src")).hasSize(22);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!f.proxy.prefetchIdle() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(f.proxy.prefetchIdle()).isTrue();
      long blocksBefore = f.originBlocksSent();
      long tripsBefore = f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES);
      for (int i = 0; i < 20; i++) {
        assertThat(readAll(viaProxy, "/src/f" + i + ".txt")).isEqualTo(random(200 + i, 500 + 100 * i));
      }
      assertThat(readAll(viaProxy, "/src/big.bin")).isEqualTo(random(300, 400_000));
      assertThat(viaProxy.list("/src/sub")).hasSize(2);
      assertThat(viaProxy.list("/src/sub/deeper")).hasSize(1);
      assertThat(readAll(viaProxy, "/src/sub/s.txt")).isEqualTo(random(301, 3000));
      assertThat(readAll(viaProxy, "/src/sub/deeper/d.txt")).isEqualTo(random(302, 3000));
      assertThat(f.originBlocksSent() - blocksBefore).as("block fetches while walking the prefetched directory").isZero();
      // The listing carried every file's attributes (readdir-plus): opening them asks the origin nothing.
      assertThat(f.proxy.metrics().count(ProxyMetrics.ATTR_MISSES) - tripsBefore).as("attribute trips").isZero();
    }
  }
}
