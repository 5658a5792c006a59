package dev.outpost.origin.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.transport.ServerLimits;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OriginConfigLoaderTest {
  final Path base = Path.of("/etc/outpost");

  private static void rejects(String yaml, String message) {
    assertThatThrownBy(() -> OriginConfigLoader.parse(yaml, Path.of("/etc/outpost")))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
          assertThat(e.getMessage()).isEqualTo(message);
        });
  }

  @Test
  void defaultsFillEverythingButTheDataDirectory() {
    OriginConfig c = OriginConfigLoader.parse("dataDir: data\n", base);
    assertThat(c.dataDir()).isEqualTo(Path.of("/etc/outpost/data"));
    assertThat(c.listen().port()).isEqualTo(7070);
    assertThat(c.tls().enabled()).isTrue();
    assertThat(c.tls().cert()).isEqualTo(Path.of("/etc/outpost/data/tls/server.pem"));
    assertThat(c.metrics()).isEmpty();
    assertThat(c.journal().retainEvents()).isEqualTo(OriginConfigLoader.DEFAULT_RETAIN_EVENTS);
  }

  @Test
  void everyKeyIsRead() {
    OriginConfig c = OriginConfigLoader.parse("""
        dataDir: /srv/origin
        listen: {host: 127.0.0.1, port: 7443}
        tls: {enabled: true, ca: ca.pem, cert: s.pem, key: s.key, requireClientCerts: false}
        maxFrameBytes: 4194304
        store: {initialMapBytes: 128MiB, maxMapBytes: 1GiB, maxReaders: 64}
        journal: {retainEvents: 5000, subscriberQueueEvents: 100}
        gc: {intervalSeconds: 60, graceSeconds: 3600}
        snapshots: {autoNamePattern: "'nightly-'yyyy-MM-dd", autoIntervalSeconds: 86400}
        leases: {maxTtlSeconds: 60}
        server: {readerThreads: 2, queuedRequests: 100}
        metrics: {host: 127.0.0.1, port: 9470}
        """, base);
    assertThat(c.tls().ca()).isEqualTo(Path.of("/etc/outpost/ca.pem"));
    assertThat(c.store().initialMapBytes()).isEqualTo(128L << 20);
    assertThat(c.store().maxMapBytes()).isEqualTo(1L << 30);
    assertThat(c.metrics()).contains(new OriginConfig.Listen("127.0.0.1", 9470));
    assertThat(c.snapshots().autoNamePattern()).isEqualTo("'nightly-'yyyy-MM-dd");
  }

  @Test
  void connectionLimitsHaveDefaultsTakeSizesAndAreChecked() {
    assertThat(OriginConfigLoader.parse("dataDir: d\n", base).limits()).isEqualTo(ServerLimits.DEFAULTS);
    ServerLimits l = OriginConfigLoader.parse("dataDir: d\nlimits: {maxConnections: 64, maxInFlightPerConnection: 32, "
        + "maxInFlight: 512, maxQueuedReplyBytesPerConnection: 1MiB, handshakeTimeoutMillis: 2500, "
        + "idleTimeoutSeconds: 0}\n", base).limits();
    assertThat(l).isEqualTo(new ServerLimits(64, 32, 512, 1 << 20, 2500, 0));
    rejects("dataDir: d\nlimits:\n  maxInFlightPerConnection: 0\n",
        "limits.maxInFlightPerConnection: 0 is outside 1..1000000");
    rejects("dataDir: d\nlimits:\n  handshakeTimeoutMillis: 50\n",
        "limits.handshakeTimeoutMillis: 50 is outside 100..600000");
    rejects("dataDir: d\nlimits:\n  maxConections: 5\n", "unknown config key limits.maxConections");
  }

  @Test
  void theCommentedExampleInConfIsValid() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !java.nio.file.Files.exists(dir.resolve("conf/origin.yaml"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("conf/origin.yaml above the module").isNotNull();
    OriginConfig c = OriginConfigLoader.load(dir.resolve("conf/origin.yaml"));
    assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/outpost/origin"));
    assertThat(c.metrics()).isPresent();
    assertThat(c.maxFrameBytes()).isEqualTo(2097152);
    assertThat(c.limits()).as("conf/origin.yaml shows the defaults").isEqualTo(ServerLimits.DEFAULTS);
  }

  @Test
  void badValuesNameTheKeyTheValueAndTheRange() {
    rejects("dataDir: d\nlisten:\n  port: 70000\n", "listen.port: 70000 is outside 0..65535");
    rejects("dataDir: d\njournal:\n  retainEvents: 0\n", "journal.retainEvents: 0 is outside 1..2147483647");
    rejects("dataDir: d\ntls:\n  enabled: maybe\n", "tls.enabled: \"maybe\" is not true or false");
    rejects("dataDir: d\nlisten:\n  prot: 1\n", "unknown config key listen.prot");
    rejects("listen:\n  port: 1\n", "dataDir: missing (where the volume lives)");
    rejects("dataDir: d\nsnapshots:\n  autoNamePattern: \"'a b'yyyy\"\n",
        "snapshots.autoNamePattern: ''a b'yyyy' yields 'a b2026', but snapshot names must be 1..64 of [A-Za-z0-9._-]");
  }
}
