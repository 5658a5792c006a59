package dev.outpost.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
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
import dev.outpost.proxy.warm.JobState;
import dev.outpost.proxy.warm.JobView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A real origin and a real proxy with its admin API, both on 127.0.0.1 over LMDB in a temporary directory, for the
 * admin and warm tests; clients are the real client library, admin requests plain HTTP.
 */
public final class AdminFixture implements AutoCloseable {
  public static final String VOLUME = "testvol";

  public final Path dir;
  public final Path data;
  public final Path keyFile;
  public final Path adminTokenFile;
  public final String originToken;
  public OriginServer origin;
  public ProxyServer proxy;
  private final String cacheMaxBytes;
  private final List<OutpostClient> clients = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  public AdminFixture(Path dir, String cacheMaxBytes) {
    this.dir = dir;
    this.data = dir.resolve("data");
    this.keyFile = dir.resolve(VOLUME + ".volume-key");
    this.adminTokenFile = dir.resolve("proxy-admin.token");
    this.cacheMaxBytes = cacheMaxBytes;
    Path tokenFile = dir.resolve("origin-admin.token");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = OriginMain.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), "init", "--data", data.toString(), "--volume", VOLUME,
        "--key-out", keyFile.toString(), "--token-out", tokenFile.toString());
    if (code != 0) {
      throw new IllegalStateException("origin init failed: " + err.toString(StandardCharsets.UTF_8));
    }
    try {
      originToken = Files.readString(tokenFile).strip();
      Path config = dir.resolve("origin-test.yaml");
      Files.writeString(config, "dataDir: " + quote(data.toString()) + "\n"
          + "listen:\n  host: 127.0.0.1\n  port: 0\n"
          + "tls:\n  enabled: false\n"
          + "gc:\n  intervalSeconds: 0\n");
      OriginConfig cfg = OriginConfigLoader.load(config);
      origin = OriginServer.start(cfg, VolumeStore.open(cfg, Clock.systemUTC()), Clock.systemUTC());
      Instant now = Instant.now();
      Files.writeString(dir.resolve("proxy.token"), new OriginDataDir(data).signer().sign(new AccessToken(VOLUME,
          AccessToken.Mode.RO, "proxy-1", now.minusSeconds(5), now.plus(Duration.ofHours(1)))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    startProxy();
  }

  public static AdminFixture start(Path dir) {
    return new AdminFixture(dir, "256MiB");
  }

  public Path proxyConfigFile() {
    return dir.resolve("proxy.yaml");
  }

  /** Starts the proxy (again) on the same cache and admin token; the admin port is picked anew. */
  public void startProxy() {
    try {
      Files.writeString(proxyConfigFile(), "volume: " + VOLUME + "\n"
          + "listen:\n  host: 127.0.0.1\n  port: 0\n"
          + "origin:\n  host: 127.0.0.1\n  port: " + origin.address().getPort() + "\n"
          + "tokenFile: proxy.token\n"
          + "originPublicKeyFile: " + quote(new OriginDataDir(data).signingPublicKey().toString()) + "\n"
          + "cache:\n  dir: cache\n  maxBytes: " + cacheMaxBytes + "\n  syncIntervalMillis: 200\n  readerThreads: 4\n"
          + "reconnect:\n  initialMillis: 50\n  maxMillis: 500\n"
          + "admin:\n  host: 127.0.0.1\n  port: 0\n  tokenFile: " + quote(adminTokenFile.toString()) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ProxyConfig cfg = ProxyConfigLoader.load(proxyConfigFile());
    proxy = ProxyServer.start(cfg, Clock.systemUTC());
    awaitLinkUp();
  }

  public void stopProxy() {
    proxy.close();
    proxy = null;
  }

  public String adminToken() {
    try {
      return Files.readString(adminTokenFile).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String adminHostPort() {
    var a = proxy.admin().address().orElseThrow();
    return "127.0.0.1:" + a.getPort();
  }

  public OutpostClient direct() {
    return track(OutpostClient.connect(ClientConfig.of("127.0.0.1:" + origin.address().getPort(), originToken,
        keyFile).withParallelism(2)));
  }

  public OutpostClient viaProxy() {
    return track(OutpostClient.connect(ClientConfig.of("127.0.0.1:" + proxy.address().getPort(), originToken,
        keyFile).withParallelism(2)));
  }

  private OutpostClient track(OutpostClient c) {
    synchronized (clients) {
      clients.add(c);
    }
    return c;
  }

  public long originBlocksSent() {
    return origin.metrics().count(OriginMetrics.BLOCKS_SENT);
  }

  /** Writes {@code count} files of {@code size} random bytes under {@code dir} directly at the origin. */
  public List<byte[]> writeFiles(String dirPath, int count, int size, long seed) {
    OutpostClient c = direct();
    c.mkdir(dirPath, true);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] b = new byte[size];
      new Random(seed + i).nextBytes(b);
      c.write(dirPath + "/f" + i + ".bin", b, WriteOptions.DEFAULTS);
      out.add(b);
    }
    return out;
  }

  /** Takes a snapshot through the origin's own CLI (over the protocol, with the admin token). */
  public void snapshot(String name) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = OriginMain.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), "snapshot", "create", name, "--server",
        "127.0.0.1:" + origin.address().getPort(), "--token", originToken);
    if (code != 0) {
      throw new IllegalStateException("snapshot create failed: " + err.toString(StandardCharsets.UTF_8));
    }
  }

  public static byte[] readAll(OutpostClient c, String path) {
    try (InputStream in = c.openRead(path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Waits until the proxy's origin link is up. */
  public void awaitLinkUp() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (proxy.linkState() != dev.outpost.proxy.upstream.LinkState.CONNECTED) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("origin link not up");
      }
      pause(10);
    }
  }

  /** Waits until the proxy has applied every journal event the origin has now and serves cached attributes. */
  public void awaitProxyCaughtUp() {
    long seq = origin.volume().currentSeq();
    try {
      proxy.subscription().awaitApplied(seq).get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("proxy did not catch up to seq " + seq, e);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!proxy.subscription().live()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("proxy subscription not live");
      }
      pause(5);
    }
  }

  /** Operations of type {@code op} (e.g. "readdir") the origin has answered. */
  public long originOps(String op) {
    return origin.metrics().count(OriginMetrics.OPS + op);
  }

  /** Polls a job until it is finished. */
  public JobView awaitJob(String id, long timeoutSeconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (System.nanoTime() < deadline) {
      JobView v = proxy.admin().jobs().get(id).orElseThrow();
      if (v.state().finished()) {
        return v;
      }
      pause(20);
    }
    throw new AssertionError("job " + id + " did not finish: " + proxy.admin().jobs().get(id));
  }

  public static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** An admin API request: the status and the body. */
  public HttpResponse<String> http(String method, String path, String body, String bearer) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + adminHostPort() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** An authorised admin API request answered with {@code expectStatus}; its JSON body. */
  public JsonNode api(String method, String path, String body, int expectStatus) {
    HttpResponse<String> r = http(method, path, body, adminToken());
    if (r.statusCode() != expectStatus) {
      throw new AssertionError(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    try {
      return json.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  public static String quote(String s) {
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
    if (origin != null) {
      origin.close();
    }
  }

  /** Stops the origin for good (the proxy's link is lost and stays so). */
  public void stopOrigin() {
    origin.close();
    origin = null;
  }

  static JobState state(JsonNode job) {
    return JobState.valueOf(job.get("state").asText());
  }
}
