package dev.outpost.proxy.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for the proxy's admin listener: the dashboard's files from the classpath at {@code /} and
 * {@code /dashboard/*} without auth, and {@code /api/status} / {@code /api/jobs} in the admin API's JSON shape
 * behind {@code Authorization: Bearer <token>}. Each status answer advances the counters (so the page's charts
 * get rates) and is recorded, so a test can check the page shows one of the answers exactly.
 */
final class FakeAdminApi implements AutoCloseable {
  static final String DASHBOARD = "/dev/outpost/proxy/admin/dashboard/";

  /** How the API answers: a healthy branch, one whose origin link is down, or not at all. */
  enum Mode { OK, LINK_DOWN, DROP_CONNECTION }

  /** When the link state last changed, in the answers: 12 min 34 s before the fake started. */
  final long linkSinceMillis = System.currentTimeMillis() - 754_000;
  /** The last error the LINK_DOWN answers carry, and when it happened. */
  static final String LINK_ERROR = "connection lost: no answer for 6000 ms (heartbeat timeout)";
  final long linkErrorAtMillis = linkSinceMillis - 5_000;

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private final String token;
  private final Mode mode;
  private final AtomicInteger statusCalls = new AtomicInteger();
  final List<JsonNode> servedStatus = new CopyOnWriteArrayList<>();
  final List<JsonNode> servedJobs = new CopyOnWriteArrayList<>();

  FakeAdminApi(String token, Mode mode) throws IOException {
    this.token = token;
    this.mode = mode;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      if (path.startsWith("/api/")) {
        api(ex, path);
      } else {
        String file = path.equals("/") ? "index.html" : path.startsWith("/dashboard/") ? path.substring(11) : "";
        try (InputStream in = file.matches("[a-z0-9-]+\\.(html|js|css)") ? getClass().getResourceAsStream(DASHBOARD + file) : null) {
          if (in == null) {
            send(ex, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
            return;
          }
          String type = file.endsWith(".html") ? "text/html" : file.endsWith(".js") ? "text/javascript" : "text/css";
          send(ex, 200, type + "; charset=utf-8", in.readAllBytes());
        }
      }
    }
  }

  private void api(HttpExchange ex, String path) throws IOException {
    if (mode == Mode.DROP_CONNECTION) {
      return; // closed without an answer: the browser's fetch fails like an unreachable proxy's
    }
    if (!("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      send(ex, 401, "application/json", "{\"error\":\"UNAUTHENTICATED\"}".getBytes(StandardCharsets.UTF_8));
      return;
    }
    JsonNode body = switch (path) {
      case "/api/status" -> {
        JsonNode s = status(statusCalls.getAndIncrement(), mode, linkSinceMillis, linkErrorAtMillis);
        servedStatus.add(s);
        yield s;
      }
      case "/api/jobs" -> {
        JsonNode j = jobs();
        servedJobs.add(j);
        yield j;
      }
      default -> null;
    };
    if (body == null) {
      send(ex, 404, "application/json", "{\"error\":\"NOT_FOUND\"}".getBytes(StandardCharsets.UTF_8));
    } else {
      send(ex, 200, "application/json", JSON.writeValueAsBytes(body));
    }
  }

  private static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(code, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /**
   * The n-th status answer: a busy branch, 90 % hits, its cache bound lowered by a full disk, counters growing by a
   * fixed step per answer.
   */
  static ObjectNode status(int n, Mode mode, long linkSinceMillis, long linkErrorAtMillis) {
    ObjectNode s = JSON.createObjectNode();
    s.put("version", "0.1.0-test");
    s.put("uptimeSeconds", 93_784 + 2L * n);
    ObjectNode link = s.putObject("link").put("state", mode == Mode.LINK_DOWN ? "DISCONNECTED" : "CONNECTED")
        .put("origin", "hq.example.com:7070").put("sinceMillis", linkSinceMillis);
    if (mode == Mode.LINK_DOWN) {
      link.put("lastError", LINK_ERROR).put("lastErrorAtMillis", linkErrorAtMillis);
    } else {
      link.putNull("lastError").putNull("lastErrorAtMillis");
    }
    // Its cache filesystem filled at 10.9 GiB, so it keeps 10 GiB of the 16 GiB configured.
    s.putObject("cache").put("bytes", 6_871_947_674L).put("entries", 104_857).put("limitBytes", 10_737_418_240L)
        .put("configuredLimitBytes", 17_179_869_184L).put("limitReason", "cache filesystem full at 10.9 GiB")
        .put("pinnedBytes", 536_870_912L);
    s.putObject("subscription").put("seq", 48_213 + n).put("lag", 0).put("live", true);
    long hits = 91_000 + 400L * n;
    long misses = 9_000 + 31L * n;
    long fromCache = 6_335_076_761L + 83_886_080L * n;
    long fromOrigin = 629_145_600L + 9_437_184L * n;
    s.putObject("stats")
        .put("requests", 125_000 + 517L * n)
        .put("blockHits", hits)
        .put("blockMisses", misses)
        .put("hitRatio", (double) hits / (hits + misses))
        .put("bytesFromCache", fromCache)
        .put("bytesFromOrigin", fromOrigin)
        .put("wanBytesSaved", fromCache)
        .put("latencyP50Millis", 1.84 + 0.13 * n)
        .put("latencyP99Millis", 48.7 + 3.3 * n)
        .put("invalidations", 3_127 + 7L * n);
    return s;
  }

  static ArrayNode jobs() {
    ArrayNode a = JSON.createArrayNode();
    a.add(job("w-3", "RUNNING", "nightly-20250101", 2_000, 800, 500, 0, 131_072_000L, 52_428_800L, 32_768_000L));
    a.add(job("w-2", "DONE", "release-4.2", 1_200, 1_000, 200, 0, 78_643_200L, 65_536_000L, 13_107_200L));
    a.add(job("w-4", "QUEUED", "latest", 0, 0, 0, 0, 0, 0, 0));
    return a;
  }

  private static ObjectNode job(String id, String state, String snapshot, long blocksTotal, long blocksPresent,
      long blocksFetched, long blocksFailed, long bytesTotal, long bytesPresent, long bytesFetched) {
    ObjectNode j = JSON.createObjectNode();
    j.put("id", id).put("kind", "warm").put("state", state).put("snapshot", snapshot);
    j.putArray("paths").add("/projects/cad").add("/projects/docs");
    j.put("blocksTotal", blocksTotal).put("blocksPresent", blocksPresent).put("blocksFetched", blocksFetched)
        .put("blocksFailed", blocksFailed).put("bytesTotal", bytesTotal).put("bytesPresent", bytesPresent)
        .put("bytesFetched", bytesFetched).put("rateBytesPerSecNow", state.equals("RUNNING") ? 12_582_912 : 0)
        .put("etaSeconds", state.equals("RUNNING") ? 4 : 0);
    return j;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
