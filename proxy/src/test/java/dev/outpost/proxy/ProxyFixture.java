package dev.outpost.proxy;

import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import dev.outpost.crypto.AccessToken;
import dev.outpost.origin.cli.OriginMain;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.origin.server.OriginServer;
import dev.outpost.origin.server.VolumeStore;
import dev.outpost.proxy.config.ProxyConfig;
import dev.outpost.proxy.config.ProxyConfigLoader;
import dev.outpost.proxy.server.ProxyServer;
import dev.outpost.transport.Relay;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real origin (set up by its own {@code init}) and a real proxy in front of it, both on 127.0.0.1 over LMDB in a
 * temporary directory; clients are the real client library.
 */
final class ProxyFixture implements AutoCloseable {
  static final String VOLUME = "testvol";

  final Path dir;
  final Path data;
  final Path keyFile;
  final Path cacheDir;
  final String adminToken;
  OriginServer origin;
  ProxyServer proxy;
  /** The proxy's link to the origin when started {@link #viaWan}; else null. */
  final Relay wan;
  private final String extraProxyYaml;
  private final boolean tls;
  private final List<OutpostClient> clients = new ArrayList<>();

  ProxyFixture(Path dir, String extraProxyYaml, boolean tls) {
    this(dir, extraProxyYaml, tls, false);
  }

  private ProxyFixture(Path dir, String extraProxyYaml, boolean tls, boolean viaWan) {
    this.tls = tls;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.keyFile = dir.resolve(VOLUME + ".volume-key");
    this.cacheDir = dir.resolve("cache");
    this.extraProxyYaml = extraProxyYaml;
    Path tokenFile = dir.resolve("admin.token");
    init(data, VOLUME, keyFile, tokenFile);
    try {
      adminToken = Files.readString(tokenFile).strip();
      startOrigin(0);
      wan = viaWan ? new Relay(origin.address().getPort()) : null;
      Files.writeString(dir.resolve("proxy.token"), token(AccessToken.Mode.RO, "proxy-1"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    startProxy();
  }

  private static void init(Path data, String volume, Path keyFile, Path tokenFile) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = OriginMain.run(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), "init", "--data", data.toString(), "--volume", volume,
        "--key-out", keyFile.toString(), "--token-out", tokenFile.toString());
    if (code != 0) {
      throw new IllegalStateException("origin init failed: " + err.toString(StandardCharsets.UTF_8));
    }
  }

  private void startOrigin(int port) {
    startOrigin(data, port);
  }

  /**
   * Starts, on {@code port}, an origin of a new volume {@code volume} (not this fixture's): what a proxy finds if
   * its origin's address now leads elsewhere. It becomes {@link #origin}.
   */
  void startOriginOfAnotherVolumeOn(String volume, int port) {
    Path other = dir.resolve("data-" + volume);
    init(other, volume, dir.resolve(volume + ".volume-key"), dir.resolve(volume + ".admin.token"));
    startOrigin(other, port);
  }

  private void startOrigin(Path data, int port) {
    try {
      Path config = dir.resolve("origin-test.yaml");
      Files.writeString(config, "dataDir: " + quote(data.toString()) + "\n"
          + "listen:\n  host: 127.0.0.1\n  port: " + port + "\n"
          + "tls:\n  enabled: " + tls + "\n  requireClientCerts: true\n"
          + "gc:\n  intervalSeconds: 0\n");
      OriginConfig cfg = OriginConfigLoader.load(config);
      origin = OriginServer.start(cfg, VolumeStore.open(cfg, Clock.systemUTC()), Clock.systemUTC());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the origin (the proxy's link drops) and starts it again on the same port and data. */
  void restartOrigin() {
    int port = stopOrigin();
    startOrigin(port);
  }

  /** Stops the origin; returns its port for {@link #startOriginOn}. */
  int stopOrigin() {
    int port = origin.address().getPort();
    origin.close();
    return port;
  }

  void startOriginOn(int port) {
    startOrigin(port);
  }

  static ProxyFixture start(Path dir) {
    return new ProxyFixture(dir, "", false);
  }

  /** The proxy reaches the origin through {@link #wan}, a relay the test can cut, refuse or silence. */
  static ProxyFixture viaWan(Path dir, String extraProxyYaml) {
    return new ProxyFixture(dir, extraProxyYaml, false, true);
  }

  Path proxyConfigFile() {
    return dir.resolve("proxy.yaml");
  }

  void startProxy() {
    try {
      Files.writeString(proxyConfigFile(), "volume: " + VOLUME + "\n"
          + "listen:\n  host: 127.0.0.1\n  port: 0\n"
          + "origin:\n  host: 127.0.0.1\n  port: " + (wan != null ? wan.port() : origin.address().getPort()) + "\n"
          + "tokenFile: proxy.token\n"
          + "originPublicKeyFile: " + quote(new OriginDataDir(data).signingPublicKey().toString()) + "\n"
          + "cache:\n  dir: cache\n  maxBytes: 256MiB\n  syncIntervalMillis: 200\n  readerThreads: 4\n"
          + "reconnect:\n  initialMillis: 50\n  maxMillis: 500\n"
          + "metrics:\n  host: 127.0.0.1\n  port: 0\n"
          + (tls ? tlsYaml() : "")
          + extraProxyYaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ProxyConfig cfg = ProxyConfigLoader.load(proxyConfigFile());
    proxy = ProxyServer.start(cfg, Clock.systemUTC());
  }

  /**
   * Mutual TLS to the origin with the client certificate {@code init} made for proxies; towards clients the
   * proxy reuses the origin's server certificate (it names 127.0.0.1).
   */
  private String tlsYaml() {
    OriginDataDir d = new OriginDataDir(data);
    return "tls:\n  enabled: true\n  ca: " + quote(d.caCert().toString()) + "\n  cert: " + quote(d.serverCert().toString())
        + "\n  key: " + quote(d.serverKey().toString()) + "\n"
        + "upstreamTls:\n  enabled: true\n  ca: " + quote(d.caCert().toString()) + "\n  cert: "
        + quote(d.proxyCert().toString()) + "\n  key: " + quote(d.proxyKey().toString()) + "\n";
  }

  void stopProxy() {
    proxy.close();
    proxy = null;
  }

  /** Waits until the proxy has applied every journal event the origin has now. */
  void awaitProxyCaughtUp() {
    long seq = origin.volume().currentSeq();
    try {
      proxy.subscription().awaitApplied(seq).get(20, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!proxy.subscription().live() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
    } catch (Exception e) {
      throw new AssertionError("proxy did not catch up to seq " + seq, e);
    }
  }

  String token(AccessToken.Mode mode, String subject) {
    Instant now = Instant.now();
    return new OriginDataDir(data).signer().sign(new AccessToken(VOLUME, mode, subject, now.minusSeconds(5),
        now.plus(Duration.ofHours(1))));
  }

  OutpostClient direct() {
    ClientConfig c = ClientConfig.of("127.0.0.1:" + origin.address().getPort(), adminToken, keyFile).withParallelism(2);
    if (tls) {
      OriginDataDir d = new OriginDataDir(data);
      c = c.withTlsCa(d.caCert()).withTlsClientCert(d.proxyCert(), d.proxyKey());
    }
    return track(OutpostClient.connect(c));
  }

  OutpostClient viaProxy() {
    ClientConfig c = ClientConfig.of("127.0.0.1:" + proxy.address().getPort(), adminToken, keyFile).withParallelism(2);
    if (tls) {
      c = c.withTlsCa(new OriginDataDir(data).caCert());
    }
    return track(OutpostClient.connect(c));
  }

  private OutpostClient track(OutpostClient c) {
    synchronized (clients) {
      clients.add(c);
    }
    return c;
  }

  long originBlocksSent() {
    return origin.metrics().count(OriginMetrics.BLOCKS_SENT);
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @Override
  public void close() {
    synchronized (clients) {
      clients.forEach(OutpostClient::close);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (wan != null) {
      wan.close();
    }
    origin.close();
  }
}
