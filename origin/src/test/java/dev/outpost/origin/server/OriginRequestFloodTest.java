package dev.outpost.origin.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.AccessToken;
import dev.outpost.origin.cli.CliRunner;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.Reply;
import dev.outpost.transport.PingFlood;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.ServerJvm;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 4 at the origin: a peer with a read-only token floods PING frames and never reads a reply. The
 * origin runs in a JVM of its own with a fixed, pre-touched heap, so RSS growth is memory held off-heap for the
 * flood; another client's listing must keep answering within a second, and SIGTERM must still stop it.
 * {@code -Doutpost.flood.seconds=N} shortens the flood (60 s by default, as the issue measured).
 */
class OriginRequestFloodTest {
  @TempDir
  Path tmp;

  @Test
  void pingFloodThatNeverReadsKeepsRssBoundedListingsFastAndSigtermWorking() throws Exception {
    Path data = tmp.resolve("data");
    CliRunner.Result init = CliRunner.run(tmp, Clock.systemUTC(), "init", "--data", data.toString(), "--volume",
        OriginFixture.VOLUME, "--key-out", tmp.resolve("k").toString(), "--token-out", tmp.resolve("t").toString());
    assertThat(init.code()).as(init.err()).isZero();
    Path config = tmp.resolve("flood.yaml");
    Files.writeString(config, "dataDir: \"" + data + "\"\nlisten:\n  host: 127.0.0.1\n  port: 0\ntls:\n  enabled: false\n"
        + "gc:\n  intervalSeconds: 0\n");
    String readOnly = token(data, AccessToken.Mode.RO, "flooder");
    String writer = token(data, AccessToken.Mode.RW, "lister");

    EventLoopGroup group = Transports.newGroup("flood-probe", 1);
    try (ServerJvm origin = ServerJvm.start("dev.outpost.origin.cli.OriginMain",
        List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"), List.of("serve", "--config", config.toString()),
        tmp.resolve("origin.log"))) {
      InetSocketAddress address = origin.awaitListening(Duration.ofSeconds(60));
      RpcClient lister = RpcClient.connect(group, address, RpcClient.Options.plain("lister", writer));
      for (int i = 0; i < 50; i++) {
        lister.call(new Mkdir("/dir-" + i, 0755)).get(10, TimeUnit.SECONDS);
      }
      ReadDir ls = new ReadDir("", "/", "", 100);
      for (int i = 0; i < 20; i++) { // warm the listing path before the baseline
        lister.call(ls).get(10, TimeUnit.SECONDS);
      }

      PingFlood.Result result;
      int exit;
      try (PingFlood flood = PingFlood.start(address, readOnly)) {
        result = flood.measure(origin, PingFlood.DURATION, () -> {
          Reply r = lister.call(ls).get(5, TimeUnit.SECONDS);
          assertThat(((DirPage) r).entries()).hasSize(50);
          return r;
        });
        System.out.println("origin under a " + PingFlood.DURATION.toSeconds() + " s PING flood: " + result);
        exit = origin.terminate(Duration.ofSeconds(30)); // while the flooder is still connected
      }
      lister.close();
      assertThat(result.failedProbes()).as("listings slower than 1 s or failed: " + result).isEmpty();
      assertThat(result.rssGrowthBytes()).as("RSS growth: " + result).isLessThan(64L << 20);
      assertThat(exit).as("exit status after SIGTERM; log: " + origin.tail()).isEqualTo(143);
      assertThat(origin.output()).doesNotContain("OutOfMemoryError");
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  private static String token(Path data, AccessToken.Mode mode, String subject) {
    Instant now = Instant.now();
    return new OriginDataDir(data).signer().sign(new AccessToken(OriginFixture.VOLUME, mode, subject, now,
        now.plus(Duration.ofHours(1))));
  }
}
