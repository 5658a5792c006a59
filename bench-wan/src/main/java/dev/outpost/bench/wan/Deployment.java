package dev.outpost.bench.wan;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The system under test, each server its own JVM on 127.0.0.1: an origin ("headquarters"), an emulated {@link WanLink}
 * in this JVM in front of it, and a proxy ("branch") whose upstream goes through the link. Clients at the branch
 * talk to the proxy over plain loopback (the LAN). In direct mode there is no proxy: branch clients cross the link
 * to the origin themselves (the fallback the issue asks for, labelled in the report).
 *
 * <p>TLS as in production between proxy and origin (the origin's {@code init} certificates, client certificate
 * required); the LAN hop is plain text. The proxy runs with {@code -Xmx512m} and a GC log, so its heap can be
 * reported.
 */
final class Deployment implements AutoCloseable {
  static final String VOLUME = "bench";
  static final String ORIGIN_MAIN = "dev.outpost.origin.cli.OriginMain";
  static final String PROXY_MAIN = "dev.outpost.proxy.cli.ProxyMain";
  static final String PROXY_HEAP = "-Xmx512m";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

  private final JvmSetup setup;
  private final Path work;
  private final boolean direct;
  private final Path originDir;
  private final Path keyFile;
  private final String clientToken;
  private final List<Path> proxyGcLogs = new ArrayList<>();
  private JvmProcess origin;
  private InetSocketAddress originAddress;
  private WanLink link;
  private JvmProcess proxy;
  private InetSocketAddress proxyAddress;
  private int proxyStarts;
  /** Largest on-disk cache of a stopped proxy (sampled before its cache is deleted). */
  private long largestCacheBytes;
  private boolean proxyDied;
  private int adminPort;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  private Deployment(JvmSetup setup, Path work, boolean direct, String clientToken) {
    this.setup = setup;
    this.work = work;
    this.direct = direct;
    this.originDir = work.resolve("origin");
    this.keyFile = work.resolve(VOLUME + ".volume-key");
    this.clientToken = clientToken;
  }

  /**
   * Initialises an origin data directory under {@code work}, starts the origin, the link and (unless direct) the
   * proxy.
   */
  static Deployment start(JvmSetup setup, Path work, LinkSpec spec, boolean direct) throws IOException,
      InterruptedException {
    Files.createDirectories(work);
    Path originDir = work.resolve("origin");
    Path logs = work.resolve("logs");
    JvmProcess.run(setup, "outpost-origin init", ORIGIN_MAIN, List.of("init", "--data", originDir.toString(),
        "--volume", VOLUME, "--key-out", work.resolve(VOLUME + ".volume-key").toString(),
        "--token-out", work.resolve(VOLUME + ".admin-token").toString()), logs.resolve("origin-init.log"));
    // Two JVM starts side by side: the CI-sized run spends most of its time starting JVMs.
    CompletableFuture<String> clientToken = CompletableFuture.supplyAsync(
        () -> issueToken(setup, originDir, "rw", "bench-client", logs.resolve("token-client.log")));
    String proxyToken = issueToken(setup, originDir, "ro", "bench-proxy", logs.resolve("token-proxy.log"));
    Files.writeString(work.resolve("proxy.token"), proxyToken + "\n");
    String client;
    try {
      client = clientToken.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
    Deployment d = new Deployment(setup, work, direct, client);
    try {
      d.startOrigin();
      d.link = WanLink.open(d.originAddress, spec);
      if (!direct) {
        d.startProxy();
      }
      return d;
    } catch (IOException | InterruptedException | RuntimeException e) {
      d.close();
      throw e;
    }
  }

  private static String issueToken(JvmSetup setup, Path originDir, String mode, String subject, Path log) {
    try {
      return issueTokenOrThrow(setup, originDir, mode, subject, log);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "token issue failed: " + e.getMessage(), e);
    }
  }

  private static String issueTokenOrThrow(JvmSetup setup, Path originDir, String mode, String subject, Path log)
      throws IOException {
    String out = JvmProcess.run(setup, "outpost-origin token issue", ORIGIN_MAIN, List.of("token", "issue", "--data",
        originDir.toString(), "--mode", mode, "--subject", subject, "--ttl", "2d", "--json"), log);
    for (String line : out.lines().toList().reversed()) {
      if (line.startsWith("{")) {
        return new ObjectMapper().readTree(line).get("token").asText();
      }
    }
    throw new OutpostException(ErrorCode.INTERNAL, "token issue printed no token: " + out);
  }

  private void startOrigin() throws IOException, InterruptedException {
    Path yaml = work.resolve("origin.yaml");
    Files.writeString(yaml, "dataDir: " + quote(originDir) + "\n"
        + "listen:\n  host: 127.0.0.1\n  port: 0\n"
        + "tls:\n  enabled: true\n  requireClientCerts: true\n"
        + "gc:\n  intervalSeconds: 0\n");
    origin = JvmProcess.start(setup, "origin", List.of("-Xmx1g"), ORIGIN_MAIN,
        List.of("serve", "--config", yaml.toString()), work.resolve("logs/origin.log"));
    originAddress = origin.awaitListening(START_TIMEOUT);
  }

  private void startProxy() throws IOException, InterruptedException {
    proxyStarts++;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      adminPort = free.getLocalPort();
    }
    Path cache = work.resolve("proxy-cache");
    Path yaml = work.resolve("proxy.yaml");
    Path tls = originDir.resolve("tls");
    Files.writeString(yaml, "volume: " + VOLUME + "\n"
        + "listen:\n  host: 127.0.0.1\n  port: 0\n"
        + "origin:\n  host: 127.0.0.1\n  port: " + link.address().getPort() + "\n"
        + "tokenFile: " + quote(work.resolve("proxy.token")) + "\n"
        + "originPublicKeyFile: " + quote(originDir.resolve("signing.pub")) + "\n"
        + "tls:\n  enabled: false\n"
        + "upstreamTls:\n  enabled: true\n  ca: " + quote(tls.resolve("ca.pem")) + "\n  cert: "
        + quote(tls.resolve("proxy.pem")) + "\n  key: " + quote(tls.resolve("proxy.key")) + "\n"
        + "cache:\n  dir: " + quote(cache) + "\n  maxBytes: 8GiB\n"
        + "metrics:\n  enabled: false\n"
        + "admin:\n  enabled: true\n  host: 127.0.0.1\n  port: " + adminPort + "\n  tokenFile: "
        + quote(work.resolve("proxy-admin.token")) + "\n");
    Path gcLog = work.resolve("logs/proxy-" + proxyStarts + "-gc.log");
    proxyGcLogs.add(gcLog);
    proxy = JvmProcess.start(setup, "proxy", List.of(PROXY_HEAP, "-XX:+ExitOnOutOfMemoryError", "-Xlog:gc:file=" + gcLog), PROXY_MAIN,
        List.of("serve", "--config", yaml.toString()), work.resolve("logs/proxy-" + proxyStarts + ".log"));
    proxyAddress = proxy.awaitListening(START_TIMEOUT);
  }

  /** Takes a snapshot of the live volume at the origin (headquarters, no link), as an operator would. */
  void snapshotAtOrigin(String name) throws IOException {
    JvmProcess.run(setup, "outpost-origin snapshot create", ORIGIN_MAIN, List.of("snapshot", "create", name,
        "--server", hostPort(originAddress), "--data", originDir.toString(), "--token-file",
        work.resolve(VOLUME + ".admin-token").toString()), work.resolve("logs/snapshot-" + name + ".log"));
  }

  /** The proxy's counters and meters (admin API {@code GET /api/metrics}), name to count. */
  Map<String, Long> proxyCounts() throws IOException, InterruptedException {
    JsonNode root = admin("GET", "/api/metrics", null);
    Map<String, Long> out = new java.util.TreeMap<>();
    for (String kind : List.of("counters", "meters", "timers")) {
      JsonNode n = root.path(kind);
      n.fieldNames().forEachRemaining(f -> out.put(f, n.path(f).path("count").asLong()));
    }
    return out;
  }

  /**
   * Runs a warm job of {@code snapshot} through the proxy's admin API (what {@code proxyctl warm --wait} does) and
   * waits for it to end; returns the final job.
   */
  JsonNode warm(String snapshot, Duration timeout) throws IOException, InterruptedException {
    JsonNode job = admin("POST", "/api/jobs/warm", "{\"snapshot\":" + JSON.writeValueAsString(snapshot) + "}");
    String id = job.path("id").asText();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String state = job.path("state").asText();
      if (state.equals("DONE") || state.equals("FAILED") || state.equals("CANCELLED")) {
        return job;
      }
      Thread.sleep(100);
      job = admin("GET", "/api/jobs/" + id, null);
    }
    throw new OutpostException(ErrorCode.UNAVAILABLE, "warm job " + id + " did not end within " + timeout + ": " + job);
  }

  private JsonNode admin(String method, String path, String body) throws IOException, InterruptedException {
    String token = Files.readString(work.resolve("proxy-admin.token")).strip();
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token);
    b = body == null ? b.GET() : b.header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new OutpostException(ErrorCode.INTERNAL, method + " " + path + " answered " + r.statusCode() + ": "
          + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** Stops the proxy, deletes its cache and starts it again: the next reads at the branch are cold. */
  void restartProxyCold() throws IOException, InterruptedException {
    if (direct) {
      return;
    }
    stopProxy();
    deleteTree(work.resolve("proxy-cache"));
    startProxy();
  }

  /** Replaces the link with one of another shape; the proxy restarts cold on it. */
  void relink(LinkSpec spec) throws IOException, InterruptedException {
    stopProxy();
    link.close();
    link = WanLink.open(originAddress, spec);
    if (!direct) {
      deleteTree(work.resolve("proxy-cache"));
      startProxy();
    }
  }

  private void stopProxy() throws IOException, InterruptedException {
    if (proxy != null) {
      proxyDied |= !proxy.isAlive();
      proxy.close();
      if (proxy.isAlive()) {
        throw new OutpostException(ErrorCode.INTERNAL, "proxy pid " + proxy.pid() + " did not stop");
      }
      proxy = null;
      largestCacheBytes = Math.max(largestCacheBytes, proxyCacheDiskBytes());
    }
  }

  /** A client at headquarters: loopback straight to the origin, no link (seeding, changes "at the origin side"). */
  OutpostClient headquartersClient() {
    return OutpostClient.connect(originConfig(originAddress));
  }

  /** A client at the branch: the proxy over the LAN, or in direct mode the origin across the link. */
  OutpostClient branchClient() {
    if (direct) {
      return OutpostClient.connect(originConfig(link.address()));
    }
    return OutpostClient.connect(ClientConfig.of(hostPort(proxyAddress), clientToken, keyFile));
  }

  private ClientConfig originConfig(InetSocketAddress address) {
    Path tls = originDir.resolve("tls");
    return ClientConfig.of(hostPort(address), clientToken, keyFile).withTlsCa(tls.resolve("ca.pem"))
        .withTlsClientCert(tls.resolve("proxy.pem"), tls.resolve("proxy.key"));
  }

  private static String hostPort(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  WanBytes wanBytes() {
    return link.bytes();
  }

  LinkSpec linkSpec() {
    return link.spec();
  }

  boolean direct() {
    return direct;
  }

  /** What the branch side is, for the report. */
  String branchLabel() {
    return direct ? "direct: branch clients cross the WAN to the origin (no proxy)"
        : "proxy: outpost-proxy JVM (" + PROXY_HEAP + ") at the branch, clients on loopback";
  }

  boolean proxyAlive() {
    return direct || (proxy != null && proxy.isAlive());
  }

  /** The largest heap occupancy any proxy JVM reported before a GC, in MiB (0 if none ran a GC). */
  long proxyPeakHeapMiB() throws IOException {
    long peak = 0;
    for (Path log : proxyGcLogs) {
      if (!Files.exists(log)) {
        continue;
      }
      for (String line : Files.readAllLines(log)) {
        Matcher m = GC_LINE.matcher(line);
        if (m.find()) {
          peak = Math.max(peak, Long.parseLong(m.group(1)));
        }
      }
    }
    return peak;
  }

  /** Bytes the proxy's cache occupies on disk now (du: LMDB's data file is sparse, its size is the map's). */
  long proxyCacheDiskBytes() throws IOException, InterruptedException {
    Path cache = work.resolve("proxy-cache");
    if (!Files.exists(cache)) {
      return 0;
    }
    Process du = new ProcessBuilder("du", "-sk", cache.toString()).redirectErrorStream(true).start();
    String out = new String(du.getInputStream().readAllBytes()).strip();
    if (du.waitFor() != 0 || !out.matches("\\d+\\s.*")) {
      throw new OutpostException(ErrorCode.INTERNAL, "du -sk " + cache + " failed: " + out);
    }
    return Long.parseLong(out.split("\\s")[0]) * 1024;
  }

  /** The largest {@link #proxyCacheDiskBytes} any proxy of this run left behind, the current one included. */
  long largestProxyCacheDiskBytes() throws IOException, InterruptedException {
    return Math.max(largestCacheBytes, proxyCacheDiskBytes());
  }

  /** True if a proxy JVM ended by itself (e.g. out of memory) instead of being stopped by the harness. */
  boolean proxyDiedUnexpectedly() {
    return proxyDied || (proxy != null && !proxy.isAlive());
  }

  @Override
  public void close() {
    http.close();
    if (proxy != null) {
      proxy.close();
    }
    if (link != null) {
      link.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }

  private static String quote(Path p) {
    return "\"" + p.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
