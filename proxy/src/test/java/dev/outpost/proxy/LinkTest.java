package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.proxy.upstream.LinkState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The origin link: reconnect with backoff, sessions re-attached, subscription resumed. */
class LinkTest {
  /** The proxy's heartbeat timeout unless its config sets one. */
  private static final long DEFAULT_HEARTBEAT_TIMEOUT_MILLIS = 6_000;
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
  void anOriginRestartIsSurvivedByTheSameClientConnection() throws Exception {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      f.awaitProxyCaughtUp();
      OutpostClient viaProxy = f.viaProxy();
      viaProxy.write("/before.txt", random(1, 5000), WriteOptions.DEFAULTS);
      assertThat(f.proxy.linkState()).isEqualTo(LinkState.UP);

      CompletableFuture<Void> wentDown = new CompletableFuture<>();
      f.proxy.link().onStateChange(s -> {
        if (s != LinkState.UP) {
          wentDown.complete(null);
        }
      });
      f.restartOrigin();
      wentDown.get(10, TimeUnit.SECONDS);

      // The same client connection: its session is attached again on the new upstream connection.
      viaProxy.write("/after.txt", random(2, 7000), WriteOptions.DEFAULTS);
      assertThat(readAll(viaProxy, "/after.txt")).isEqualTo(random(2, 7000));
      assertThat(readAll(viaProxy, "/before.txt")).isEqualTo(random(1, 5000));
      assertThat(f.proxy.linkState()).isEqualTo(LinkState.UP);
      assertThat(f.proxy.metrics().count(ProxyMetrics.LINK_RECONNECTS)).isPositive();

      // The subscription resumed: a change made directly at the origin still reaches the proxy.
      f.direct().write("/before.txt", random(3, 6000), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(readAll(viaProxy, "/before.txt")).isEqualTo(random(3, 6000));
    }
  }

  @Test
  void anOriginThatFallsSilentIsNoticedWithinTheHeartbeatTimeout() throws Exception {
    try (ProxyFixture f = ProxyFixture.viaWan(dir, "")) {
      f.awaitProxyCaughtUp();
      assertThat(f.proxy.linkState()).isEqualTo(LinkState.UP);
      CompletableFuture<Void> noticed = new CompletableFuture<>();
      f.proxy.link().onStateChange(s -> {
        if (s != LinkState.UP) {
          noticed.complete(null);
        }
      });

      // The origin vanishes without a FIN: nothing closes, nothing answers (TCP would wait many minutes).
      f.wan.silence(true);
      noticed.get(DEFAULT_HEARTBEAT_TIMEOUT_MILLIS + 2_000, TimeUnit.MILLISECONDS);
      assertThat(f.proxy.subscription().live()).isFalse();

      f.wan.silence(false);
      f.direct().write("/after-silence.txt", random(11, 100), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(readAll(f.viaProxy(), "/after-silence.txt")).isEqualTo(random(11, 100));
    }
  }

  @Test
  void clientSubscriptionsAreServedByTheProxy() throws Exception {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      f.awaitProxyCaughtUp();
      OutpostClient viaProxy = f.viaProxy();
      java.util.concurrent.LinkedBlockingQueue<dev.outpost.protocol.ChangeEvent> events =
          new java.util.concurrent.LinkedBlockingQueue<>();
      try (var watch = viaProxy.watch("/w", viaProxy.welcome().journalSeq(), events::add)) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (f.proxy.subscription().localSubscribers() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertThat(f.proxy.subscription().localSubscribers()).isEqualTo(1);
        OutpostClient direct = f.direct();
        direct.mkdir("/w", true);
        direct.write("/w/x.txt", random(4, 10), WriteOptions.DEFAULTS);
        direct.write("/elsewhere.txt", random(5, 10), WriteOptions.DEFAULTS);
        direct.mv("/w/x.txt", "/w/y.txt");
        java.util.List<dev.outpost.protocol.ChangeEvent> seen = new java.util.ArrayList<>();
        while (seen.isEmpty() || seen.getLast().kind() != dev.outpost.protocol.ChangeKind.RENAMED) {
          var e = events.poll(10, TimeUnit.SECONDS);
          assertThat(e).as("events so far: %s", seen).isNotNull();
          seen.add(e);
        }
        assertThat(seen).allMatch(e -> e.path().startsWith("/w"));
        assertThat(seen.getFirst().path()).isEqualTo("/w");
        assertThat(seen.getLast().path()).isEqualTo("/w/y.txt");
        assertThat(seen.getLast().fromPath()).isEqualTo("/w/x.txt");
        for (int i = 1; i < seen.size(); i++) {
          assertThat(seen.get(i).seq()).isGreaterThan(seen.get(i - 1).seq());
        }
      }
    }
  }

  @Test
  void cachedBlocksKeepServingWhileTheOriginIsDownAndOtherRequestsFailUnavailable() throws Exception {
    try (ProxyFixture f = new ProxyFixture(dir, "requestTimeoutMillis: 300\n", false)) {
      byte[] content = random(9, 400_000);
      f.direct().write("/cached.bin", content, WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(readAll(f.viaProxy(), "/cached.bin")).isEqualTo(content);
      f.proxy.cache().flushed().join();
      java.util.List<dev.outpost.core.BlockId> ids = new java.util.ArrayList<>();
      f.proxy.cache().blockStore().forEachId((id, len) -> ids.add(id));

      int port = f.stopOrigin();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (f.proxy.linkState() == LinkState.UP && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(f.proxy.linkState()).isNotEqualTo(LinkState.UP);
      assertThat(f.proxy.subscription().live()).isFalse();

      io.netty.channel.EventLoopGroup group = dev.outpost.transport.Transports.newGroup("test-down", 1);
      try {
        var rpc = dev.outpost.transport.RpcClient.connect(group, f.proxy.address(),
            dev.outpost.transport.RpcClient.Options.plain("t", f.adminToken));
        java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
        CompletableFuture<Void> done = new CompletableFuture<>();
        rpc.stream(0, new dev.outpost.protocol.GetBlocks(ids), new dev.outpost.transport.ReplyStream() {
          @Override
          public void onReply(dev.outpost.protocol.Reply reply, boolean last) {
            if (reply instanceof dev.outpost.protocol.BlockData) {
              got.incrementAndGet();
            }
            io.netty.util.ReferenceCountUtil.release(reply);
            if (last) {
              done.complete(null);
            }
          }

          @Override
          public void onError(dev.outpost.core.OutpostException error) {
            done.completeExceptionally(error);
          }
        });
        done.get(10, TimeUnit.SECONDS);
        assertThat(got.get()).isEqualTo(ids.size());
        var err = org.assertj.core.api.Assertions.catchThrowableOfType(java.util.concurrent.ExecutionException.class,
            () -> rpc.call(new dev.outpost.protocol.GetAttr("", "/cached.bin")).get(10, TimeUnit.SECONDS));
        assertThat(((dev.outpost.core.OutpostException) err.getCause()).code())
            .isEqualTo(dev.outpost.core.ErrorCode.UNAVAILABLE);
        rpc.close();
      } finally {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      }

      f.startOriginOn(port);
      f.awaitProxyCaughtUp();
      assertThat(readAll(f.viaProxy(), "/cached.bin")).isEqualTo(content);
    }
  }
}
