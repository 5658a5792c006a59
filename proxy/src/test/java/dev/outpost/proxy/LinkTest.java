package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.proxy.upstream.LinkHealth;
import dev.outpost.proxy.upstream.LinkState;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The origin link against a real origin, through a real TCP relay where the test cuts, refuses or silences the
 * WAN: reconnect with backoff, sessions re-attached, subscription resumed, and the link states (CONNECTED /
 * DEGRADED / DISCONNECTED) with their times and last error. Bounds on how soon something is noticed are
 * generous over the configured times; no test waits a fixed time for something to happen.
 */
@Timeout(120)
class LinkTest {
  /** Short, so a test runs in seconds: a PING after 300 ms of quiet, lost after 1.5 s unheard. */
  private static final long HEARTBEAT_MILLIS = 300;
  private static final long HEARTBEAT_TIMEOUT_MILLIS = 1_500;
  private static final long GRACE_MILLIS = 1_000;
  private static final String LINK_YAML = "heartbeat:\n  intervalMillis: " + HEARTBEAT_MILLIS + "\n  timeoutMillis: "
      + HEARTBEAT_TIMEOUT_MILLIS + "\ndisconnected:\n  graceMillis: " + GRACE_MILLIS + "\n";
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

  /** Every state change from now on, in order. */
  private static BlockingQueue<LinkHealth.Change> changes(ProxyFixture f) {
    BlockingQueue<LinkHealth.Change> q = new LinkedBlockingQueue<>();
    f.proxy.link().health().onChange(q::add);
    return q;
  }

  /** The next {@code n} states the link moved to. */
  private static List<LinkState> next(BlockingQueue<LinkHealth.Change> q, int n) throws InterruptedException {
    List<LinkState> seen = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      LinkHealth.Change c = q.poll(30, TimeUnit.SECONDS);
      assertThat(c).as("state change %d after %s", i + 1, seen).isNotNull();
      assertThat(c.from()).as("changes chain").isEqualTo(seen.isEmpty() ? c.from() : seen.getLast());
      seen.add(c.to());
    }
    return seen;
  }

  private static void awaitState(ProxyFixture f, LinkState state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (f.proxy.linkState() != state) {
      assertThat(System.nanoTime()).as("waiting for %s, is %s", state, f.proxy.linkState()).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void anOriginRestartIsSurvivedByTheSameClientConnection() throws Exception {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      f.awaitProxyCaughtUp();
      OutpostClient viaProxy = f.viaProxy();
      viaProxy.write("/before.txt", random(1, 5000), WriteOptions.DEFAULTS);
      assertThat(f.proxy.linkState()).isEqualTo(LinkState.CONNECTED);

      CompletableFuture<Void> wentDown = new CompletableFuture<>();
      f.proxy.link().health().onChange(c -> {
        if (c.to() != LinkState.CONNECTED) {
          wentDown.complete(null);
        }
      });
      f.restartOrigin();
      wentDown.get(10, TimeUnit.SECONDS);

      // The same client connection: its session is attached again on the new upstream connection.
      viaProxy.write("/after.txt", random(2, 7000), WriteOptions.DEFAULTS);
      assertThat(readAll(viaProxy, "/after.txt")).isEqualTo(random(2, 7000));
      assertThat(readAll(viaProxy, "/before.txt")).isEqualTo(random(1, 5000));
      assertThat(f.proxy.linkState()).isEqualTo(LinkState.CONNECTED);
      assertThat(f.proxy.metrics().count(ProxyMetrics.LINK_RECONNECTS)).isPositive();

      // The subscription resumed: a change made directly at the origin still reaches the proxy.
      f.direct().write("/before.txt", random(3, 6000), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(readAll(viaProxy, "/before.txt")).isEqualTo(random(3, 6000));
    }
  }

  @Test
  void anOriginThatFallsSilentIsNoticedWithinTheHeartbeatTimeout() throws Exception {
    try (ProxyFixture f = ProxyFixture.viaWan(dir, LINK_YAML)) {
      f.awaitProxyCaughtUp();
      assertThat(f.proxy.linkState()).isEqualTo(LinkState.CONNECTED);
      BlockingQueue<LinkHealth.Change> changes = changes(f);

      // The origin vanishes without a FIN: nothing closes, nothing answers (TCP would wait many minutes).
      f.wan.silence(true);
      long silentAt = System.nanoTime();
      while (f.proxy.link().isUp()) {
        Thread.sleep(5);
      }
      long noticedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silentAt);
      System.out.printf("silent origin noticed by the proxy after %d ms (heartbeat %d ms / %d ms)%n", noticedMillis,
          HEARTBEAT_MILLIS, HEARTBEAT_TIMEOUT_MILLIS);
      assertThat(noticedMillis).as("noticed after %d ms", noticedMillis).isLessThan(HEARTBEAT_TIMEOUT_MILLIS + 2_000);
      assertThat(f.proxy.subscription().live()).isFalse();
      // DEGRADED from the overdue heartbeat on (it stays so through the loss), DISCONNECTED once the grace is over.
      assertThat(next(changes, 2)).containsExactly(LinkState.DEGRADED, LinkState.DISCONNECTED);
      assertThat(f.proxy.link().health().status().lastError()).hasValueSatisfying(e -> assertThat(e.message())
          .isEqualTo("connection lost: no answer for " + HEARTBEAT_TIMEOUT_MILLIS + " ms (heartbeat timeout)"));

      f.wan.silence(false);
      assertThat(next(changes, 1)).containsExactly(LinkState.CONNECTED);
      f.direct().write("/after-silence.txt", random(11, 100), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      assertThat(readAll(f.viaProxy(), "/after-silence.txt")).isEqualTo(random(11, 100));
    }
  }

  @Test
  void statesGoDegradedThenDisconnectedAcrossACutAndConnectedAfterTheHeal() throws Exception {
    try (ProxyFixture f = ProxyFixture.viaWan(dir, LINK_YAML)) {
      f.awaitProxyCaughtUp();
      LinkHealth.Status before = f.proxy.link().health().status();
      assertThat(before.state()).isEqualTo(LinkState.CONNECTED);
      BlockingQueue<LinkHealth.Change> changes = changes(f);

      // Every connection reset, new ones refused.
      f.wan.refuse(true);
      f.wan.cutAll();
      LinkHealth.Change degraded = changes.poll(30, TimeUnit.SECONDS);
      assertThat(degraded).isNotNull();
      assertThat(degraded.from()).isEqualTo(LinkState.CONNECTED);
      assertThat(degraded.to()).isEqualTo(LinkState.DEGRADED);
      LinkHealth.Change disconnected = changes.poll(30, TimeUnit.SECONDS);
      assertThat(disconnected).isNotNull();
      assertThat(disconnected.to()).isEqualTo(LinkState.DISCONNECTED);
      // Not before the grace is over (measured on the same clock the change times are).
      assertThat(disconnected.at()).isAfterOrEqualTo(degraded.at().plusMillis(GRACE_MILLIS - 50));
      LinkHealth.Status down = f.proxy.link().health().status();
      assertThat(down.state()).isEqualTo(LinkState.DISCONNECTED);
      assertThat(down.since()).isEqualTo(disconnected.at());
      assertThat(down.up()).isFalse();
      assertThat(down.lastError()).isPresent();

      f.wan.refuse(false);
      LinkHealth.Change healed = changes.poll(30, TimeUnit.SECONDS);
      assertThat(healed).isNotNull();
      assertThat(healed.from()).isEqualTo(LinkState.DISCONNECTED);
      assertThat(healed.to()).isEqualTo(LinkState.CONNECTED);
      assertThat(f.proxy.link().health().status().since()).isEqualTo(healed.at());
      f.awaitProxyCaughtUp();
      assertThat(f.proxy.metrics().count(ProxyMetrics.LINK_RECONNECTS)).isPositive();
    }
  }

  @Test
  void aProxyStartedWhileTheOriginIsDownServesAndConnectsWhenTheOriginComesUp() throws Exception {
    try (ProxyFixture f = ProxyFixture.viaWan(dir, LINK_YAML + "requestTimeoutMillis: 300\n")) {
      f.direct().write("/early.txt", random(21, 3000), WriteOptions.DEFAULTS);
      f.stopProxy();
      int port = f.stopOrigin();

      f.startProxy(); // returns although the origin cannot be reached
      assertThat(f.proxy.linkState()).isEqualTo(LinkState.DISCONNECTED);
      OutpostClient viaProxy = f.viaProxy(); // the proxy answers HELLO itself
      try {
        viaProxy.stat("/early.txt");
        throw new AssertionError("a stat with no origin must fail");
      } catch (OutpostException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      }
      assertThat(f.proxy.link().health().status().lastError()).isPresent();

      f.startOriginOn(port);
      awaitState(f, LinkState.CONNECTED);
      f.awaitProxyCaughtUp();
      assertThat(readAll(viaProxy, "/early.txt")).isEqualTo(random(21, 3000));
    }
  }

  @Test
  void aReconnectionRefusedByAnOriginOfAnotherVolumeStaysDisconnectedWithTheErrorShown() throws Exception {
    String admin = "admin:\n  host: 127.0.0.1\n  port: 0\n  tokenFile: proxy-admin.token\n";
    try (ProxyFixture f = ProxyFixture.viaWan(dir, LINK_YAML + admin)) {
      f.awaitProxyCaughtUp();
      int port = f.stopOrigin();
      // What now answers at the origin's address is the origin of another volume: it refuses the proxy's token
      // (signed by another key) at every reconnection. (An origin that took the token but served another volume
      // would be refused by the link itself: OriginLinkTest.)
      f.startOriginOfAnotherVolumeOn("othervol", port);
      awaitState(f, LinkState.DISCONNECTED);
      String refusal = "127.0.0.1:" + f.wan.port() + " refused the connection: bad signature (UNAUTHORIZED)";
      awaitLastError(f, refusal);

      // It stays so: attempts go on (backoff 50..500 ms) and are refused each time.
      BlockingQueue<LinkHealth.Change> changes = changes(f);
      Thread.sleep(1_500);
      assertThat(changes).isEmpty();
      assertThat(f.proxy.linkState()).isEqualTo(LinkState.DISCONNECTED);

      JsonNode status = adminStatus(f);
      assertThat(status.at("/link/state").asText()).isEqualTo("DISCONNECTED");
      assertThat(status.at("/link/lastError").asText()).isEqualTo(refusal);
      assertThat(status.at("/link/lastErrorAtMillis").asLong()).isPositive();
      assertThat(status.at("/link/sinceMillis").asLong())
          .isEqualTo(f.proxy.link().health().status().since().toEpochMilli());
    }
  }

  private static void awaitLastError(ProxyFixture f, String message) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!f.proxy.link().health().status().lastError().map(LinkHealth.LinkError::message).orElse("").equals(message)) {
      assertThat(System.nanoTime()).as("last error %s", f.proxy.link().health().status().lastError())
          .isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  private static JsonNode adminStatus(ProxyFixture f) throws Exception {
    String token = Files.readString(f.dir.resolve("proxy-admin.token")).strip();
    var address = f.proxy.admin().address().orElseThrow();
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort()
          + "/api/status")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      return new ObjectMapper().readTree(r.body());
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
      while (f.proxy.link().isUp() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(f.proxy.linkState()).isIn(LinkState.DEGRADED, LinkState.DISCONNECTED);
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
