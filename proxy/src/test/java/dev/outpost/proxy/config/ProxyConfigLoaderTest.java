package dev.outpost.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.transport.ServerLimits;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProxyConfigLoaderTest {
  static final String MINIMAL = """
      volume: v
      origin: {host: hq, port: 7070}
      tokenFile: proxy.token
      originPublicKeyFile: /keys/signing.pub
      cache: {dir: cache}
      """;

  @Test
  void theShippedExampleLoads() {
    ProxyConfig c = ProxyConfigLoader.load(Path.of("../conf/proxy.yaml"));
    assertThat(c.volume()).isEqualTo("projects");
    assertThat(c.cache().maxBytes()).isEqualTo(10L << 30);
    assertThat(c.upstreamTls().enabled()).isTrue();
    assertThat(c.upstreamTls().cert()).isPresent();
    assertThat(c.limits()).as("conf/proxy.yaml shows the defaults").isEqualTo(ServerLimits.DEFAULTS);
  }

  @Test
  void connectionLimitsHaveDefaultsTakeSizesAndAreChecked() {
    assertThat(ProxyConfigLoader.parse(MINIMAL, Path.of("/")).limits()).isEqualTo(ServerLimits.DEFAULTS);
    ServerLimits l = ProxyConfigLoader.parse(MINIMAL + "limits: {maxConnections: 64, maxInFlightPerConnection: 32, "
        + "maxInFlight: 512, maxQueuedReplyBytesPerConnection: 1MiB, handshakeTimeoutMillis: 2500, "
        + "idleTimeoutSeconds: 0}\n", Path.of("/")).limits();
    assertThat(l).isEqualTo(new ServerLimits(64, 32, 512, 1 << 20, 2500, 0));
    refused(MINIMAL + "limits: {maxConnections: 0}\n", "limits.maxConnections", "0", "1..1000000");
    refused(MINIMAL + "limits: {maxQueuedReplyBytesPerConnection: 1KiB}\n", "limits.maxQueuedReplyBytesPerConnection",
        "1024", "65536..1073741824");
    refused(MINIMAL + "limits: {idle: 5}\n", "unknown key limits.idle");
  }

  @Test
  void defaultsFillTheRestAndRelativePathsResolveAgainstTheFile() {
    ProxyConfig c = ProxyConfigLoader.parse(MINIMAL, Path.of("/etc/outpost"));
    assertThat(c.listen().port()).isEqualTo(ProxyConfigLoader.DEFAULT_PORT);
    assertThat(c.tokenFile()).isEqualTo(Path.of("/etc/outpost/proxy.token"));
    assertThat(c.originPublicKeyFile()).isEqualTo(Path.of("/keys/signing.pub"));
    assertThat(c.cache().dir()).isEqualTo(Path.of("/etc/outpost/cache"));
    assertThat(c.cache().maxBytes()).isEqualTo(ProxyConfigLoader.DEFAULT_CACHE_BYTES);
    assertThat(c.cache().maxMapBytes()).isGreaterThan(c.cache().maxBytes());
    assertThat(c.tls().enabled()).isFalse();
  }

  @Test
  void sizesTakeUnits() {
    ProxyConfig c = ProxyConfigLoader.parse(MINIMAL.replace("{dir: cache}", "{dir: cache, maxBytes: 512MiB}"), Path.of("/"));
    assertThat(c.cache().maxBytes()).isEqualTo(512L << 20);
  }

  @Test
  void prefetchSettingsHaveDefaultsAndBounds() {
    ProxyConfig.Attrs d = ProxyConfigLoader.parse(MINIMAL, Path.of("/")).attrs();
    assertThat(d.prefetchMaxFileBytes()).isEqualTo(8L << 20);
    assertThat(d.prefetchDirBytes()).isEqualTo(8L << 20);
    assertThat(d.prefetchInFlightBytes()).isEqualTo(8L << 20);
    assertThat(d.prefetchDirDepth()).isEqualTo(2);
    ProxyConfig.Attrs a = ProxyConfigLoader.parse(MINIMAL + "attrs: {prefetchDirBytes: 1MiB, prefetchInFlightBytes: 2MiB, "
        + "prefetchDirDepth: 0, prefetchMaxFileBytes: 0}\n", Path.of("/")).attrs();
    assertThat(a.prefetchDirBytes()).isEqualTo(1L << 20);
    assertThat(a.prefetchInFlightBytes()).isEqualTo(2L << 20);
    assertThat(a.prefetchDirDepth()).isZero();
    assertThat(a.prefetchMaxFileBytes()).isZero();
    refused(MINIMAL + "attrs: {prefetchDirDepth: 9}\n", "attrs.prefetchDirDepth", "9");
    refused(MINIMAL + "attrs: {prefetchInFlightBytes: 1000}\n", "attrs.prefetchInFlightBytes", "1000");
  }

  @Test
  void linkHealthSettingsHaveDefaultsAndBounds() {
    ProxyConfig d = ProxyConfigLoader.parse(MINIMAL, Path.of("/"));
    assertThat(d.heartbeat()).isEqualTo(new ProxyConfig.Heartbeat(2_000, 6_000));
    assertThat(d.disconnected().graceMillis()).isEqualTo(5_000);
    ProxyConfig c = ProxyConfigLoader.parse(MINIMAL + "heartbeat: {intervalMillis: 500, timeoutMillis: 1000}\n"
        + "disconnected: {graceMillis: 0}\n", Path.of("/"));
    assertThat(c.heartbeat()).isEqualTo(new ProxyConfig.Heartbeat(500, 1_000));
    assertThat(c.disconnected().graceMillis()).isZero();
    // A lone interval keeps the default ratio of timeout to interval.
    assertThat(ProxyConfigLoader.parse(MINIMAL + "heartbeat: {intervalMillis: 10000}\n", Path.of("/")).heartbeat())
        .isEqualTo(new ProxyConfig.Heartbeat(10_000, 30_000));
    refused(MINIMAL + "heartbeat: {intervalMillis: 10}\n", "heartbeat.intervalMillis", "10", "50..600000");
    refused(MINIMAL + "heartbeat: {intervalMillis: 1000, timeoutMillis: 1500}\n", "heartbeat.timeoutMillis", "1500",
        "2000..3600000");
    refused(MINIMAL + "disconnected: {graceMillis: -1}\n", "disconnected.graceMillis", "-1", "0..3600000");
    refused(MINIMAL + "heartbeat: {every: 1}\n", "unknown key heartbeat.every");
  }

  private static void refused(String yaml, String... mentions) {
    assertThatThrownBy(() -> ProxyConfigLoader.parse(yaml, Path.of("/")))
        .isInstanceOf(OutpostException.class)
        .satisfies(e -> assertThat(((OutpostException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .message().contains(mentions);
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    refused(MINIMAL.replace("volume: v\n", ""), "volume is required");
    refused(MINIMAL.replace("port: 7070", "port: 70000"), "origin.port", "70000", "1..65535");
    refused(MINIMAL.replace("{dir: cache}", "{dir: cache, maxBytes: 1000}"), "cache.maxBytes", "1000");
    refused(MINIMAL.replace("{dir: cache}", "{dir: cache, maxBytes: lots}"), "cache.maxBytes", "lots");
    refused(MINIMAL + "cach: {}\n", "unknown key cach");
    refused(MINIMAL + "tls: {enabled: true}\n", "tls.ca is required");
    refused(MINIMAL + "reconnect: {initialMillis: 500, maxMillis: 100}\n", "reconnect.maxMillis", "100");
    refused("- a list\n", "mapping");
    refused("volume: [unclosed\n", "YAML");
  }
}
