package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.AccessToken;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.origin.server.OriginDataDir;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 4 at the proxy: a client with a read-only token floods PING frames and never reads a reply. The
 * proxy runs in a JVM of its own with a fixed, pre-touched heap in front of an origin in this JVM; its RSS must
 * stay bounded, another client's listing must keep answering within a second, and SIGTERM must still stop it.
 * {@code -Doutpost.flood.seconds=N} shortens the flood (60 s by default, as the issue measured).
 */
class ProxyRequestFloodTest {
  @TempDir
  Path tmp;

  @Test
  void pingFloodThatNeverReadsKeepsRssBoundedListingsFastAndSigtermWorking() throws Exception {
    EventLoopGroup group = Transports.newGroup("flood-probe", 1);
    try (EmbeddedOrigin origin = EmbeddedOrigin.start(tmp.resolve("origin"), "floodvol")) {
      InetSocketAddress originAddress = origin.server().address();
      RpcClient admin = RpcClient.connect(group, originAddress, RpcClient.Options.plain("setup", origin.adminToken()));
      for (int i = 0; i < 50; i++) {
        admin.call(new Mkdir("/dir-" + i, 0755)).get(10, TimeUnit.SECONDS);
      }
      admin.close();
      Path config = proxyConfig(origin);
      try (ServerJvm proxy = ServerJvm.start("dev.outpost.proxy.cli.ProxyMain",
          List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"), List.of("serve", "--config", config.toString()),
          tmp.resolve("proxy.log"))) {
        InetSocketAddress address = proxy.awaitListening(Duration.ofSeconds(60));
        RpcClient lister = RpcClient.connect(group, address,
            RpcClient.Options.plain("lister", origin.token(AccessToken.Mode.RO, "lister")));
        ReadDir ls = new ReadDir("", "/", "", 100);
        for (int i = 0; i < 20; i++) { // warm the listing path (and the proxy's listing cache) before the baseline
          lister.call(ls).get(10, TimeUnit.SECONDS);
        }

        PingFlood.Result result;
        int exit;
        try (PingFlood flood = PingFlood.start(address, origin.token(AccessToken.Mode.RO, "flooder"))) {
          result = flood.measure(proxy, PingFlood.DURATION, () -> {
            Reply r = lister.call(ls).get(5, TimeUnit.SECONDS);
            assertThat(((DirPage) r).entries()).hasSize(50);
            return r;
          });
          System.out.println("proxy under a " + PingFlood.DURATION.toSeconds() + " s PING flood: " + result);
          exit = proxy.terminate(Duration.ofSeconds(30)); // while the flooder is still connected
        }
        lister.close();
        assertThat(result.failedProbes()).as("listings slower than 1 s or failed: " + result).isEmpty();
        assertThat(result.rssGrowthBytes()).as("RSS growth: " + result).isLessThan(64L << 20);
        assertThat(exit).as("exit status after SIGTERM; log: " + proxy.tail()).isEqualTo(143);
        assertThat(proxy.output()).doesNotContain("OutOfMemoryError");
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  private Path proxyConfig(EmbeddedOrigin origin) throws Exception {
    Files.writeString(tmp.resolve("proxy.token"), origin.token(AccessToken.Mode.RO, "proxy"));
    Path config = tmp.resolve("proxy.yaml");
    Files.writeString(config, "volume: " + origin.volume() + "\n"
        + "listen:\n  host: 127.0.0.1\n  port: 0\n"
        + "origin:\n  host: 127.0.0.1\n  port: " + origin.server().address().getPort() + "\n"
        + "tokenFile: proxy.token\n"
        + "originPublicKeyFile: " + ProxyFixture.quote(new OriginDataDir(origin.dataDir()).signingPublicKey().toString())
        + "\n"
        + "cache:\n  dir: cache\n  maxBytes: 64MiB\n  readerThreads: 2\n");
    return config;
  }
}
