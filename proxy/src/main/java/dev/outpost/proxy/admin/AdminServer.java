package dev.outpost.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.observability.MetricsExposition;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.proxy.warm.CachePaths;
import dev.outpost.proxy.warm.JobView;
import dev.outpost.proxy.warm.WarmJobs;
import dev.outpost.proxy.warm.WarmSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's admin HTTP API (JDK HttpServer on its own small thread pool, so blocking work — origin listings,
 * cache walks — never runs on a Netty event loop). Every {@code /api} request needs
 * {@code Authorization: Bearer <token>}; {@code GET /metrics} (Prometheus text, for scrapers on the admin
 * network) and the dashboard's static files ({@code /}, {@code /dashboard/*}) do not: the page asks the API with
 * the token from its URL fragment.
 *
 * <p>Errors are JSON {@code {"error": message, "code": ErrorCode}} with 400 (bad argument), 401, 404, 405, 413,
 * 503 (origin unreachable) or 500.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  /** Request bodies are small JSON objects. */
  static final int MAX_BODY_BYTES = 64 << 10;
  static final String DASHBOARD = "dev/outpost/proxy/admin/dashboard/";
  private static final Pattern JOB = Pattern.compile("/api/jobs/([A-Za-z0-9._-]{1,64})(/cancel)?");
  private static final Pattern RESOURCE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,7}");
  private static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("html", "text/html; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
      Map.entry("mjs", "text/javascript; charset=utf-8"), Map.entry("css", "text/css; charset=utf-8"),
      Map.entry("json", "application/json"), Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"),
      Map.entry("ico", "image/x-icon"), Map.entry("woff2", "font/woff2"), Map.entry("txt", "text/plain; charset=utf-8"),
      Map.entry("map", "application/json"));

  /** What the API reads and acts on. */
  public record Parts(Supplier<StatusReport> status, ProxyMetrics metrics, WarmJobs jobs, CachePaths paths) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final AdminToken token;
  private final Parts parts;
  private final ObjectMapper json = new ObjectMapper();
  private final MetricsExposition exposition;

  private AdminServer(HttpServer server, ExecutorService executor, AdminToken token, Parts parts) {
    this.server = server;
    this.executor = executor;
    this.token = token;
    this.parts = parts;
    this.exposition = new MetricsExposition(parts.metrics().registry());
  }

  /**
   * Listens on {@code bind} with a pool of {@code threads}.
   *
   * @throws OutpostException UNAVAILABLE if the address cannot be bound
   */
  public static AdminServer start(InetSocketAddress bind, AdminToken token, Parts parts, int threads) {
    HttpServer server;
    try {
      server = HttpServer.create(bind, 32);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, "cannot listen for the admin API on " + bind.getHostString()
          + ":" + bind.getPort() + ": " + e.getMessage(), e);
    }
    AtomicInteger n = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(threads,
        r -> Thread.ofPlatform().name("proxy-admin-" + n.incrementAndGet()).daemon(true).unstarted(r));
    AdminServer admin = new AdminServer(server, executor, token, parts);
    server.setExecutor(executor);
    server.createContext("/", admin::handle);
    server.start();
    return admin;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange ex) {
    try (ex) {
      String path = ex.getRequestURI().getRawPath();
      String method = ex.getRequestMethod();
      try {
        if (path.startsWith("/api/") || path.equals("/api")) {
          if (!token.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"outpost-proxy\"");
            error(ex, 401, "UNAUTHORIZED", "missing or wrong admin token (Authorization: Bearer <token>)");
            return;
          }
          api(ex, method, path);
        } else if (path.equals("/metrics")) {
          requireMethod(method, "GET");
          prometheus(ex);
        } else {
          requireMethod(method, "GET", "HEAD");
          staticFile(ex, path);
        }
      } catch (HttpError e) {
        error(ex, e.status, e.code, e.getMessage());
      } catch (OutpostException e) {
        error(ex, status(e.code()), e.code().name(), e.getMessage());
      } catch (RuntimeException e) {
        log.error("admin request {} {} failed", method, path, e);
        error(ex, 500, ErrorCode.INTERNAL.name(), "internal error: " + e);
      }
    } catch (IOException e) {
      log.debug("admin response not sent: {}", e.toString());
    }
  }

  private void api(HttpExchange ex, String method, String path) throws IOException {
    switch (path) {
      case "/api/status" -> {
        requireMethod(method, "GET");
        send(ex, 200, parts.status().get());
      }
      case "/api/metrics" -> {
        requireMethod(method, "GET");
        sendBytes(ex, 200, MetricsExposition.JSON_CONTENT_TYPE, exposition.json());
      }
      case "/api/jobs" -> {
        requireMethod(method, "GET");
        send(ex, 200, parts.jobs().list());
      }
      case "/api/jobs/warm" -> {
        requireMethod(method, "POST");
        JsonNode body = body(ex);
        known(body, "snapshot", "paths", "pin", "rateBytesPerSec");
        List<String> paths = new ArrayList<>();
        JsonNode p = body.get("paths");
        if (p != null && !p.isNull()) {
          if (!p.isArray()) {
            throw new HttpError(400, "INVALID_ARGUMENT", "paths must be an array of volume paths");
          }
          p.forEach(e -> paths.add(textValue(e, "paths[]")));
        }
        String snapshot = body.hasNonNull("snapshot") ? textValue(body.get("snapshot"), "snapshot") : WarmSpec.LATEST;
        boolean pin = body.hasNonNull("pin") && boolValue(body.get("pin"), "pin");
        long rate = body.hasNonNull("rateBytesPerSec") ? longValue(body.get("rateBytesPerSec"), "rateBytesPerSec") : 0;
        JobView job = parts.jobs().submit(new WarmSpec(snapshot, paths, pin, rate));
        send(ex, 201, job);
      }
      case "/api/pin" -> send(ex, 200, affected(parts.paths().pin(pathBody(ex, method))));
      case "/api/unpin" -> send(ex, 200, affected(parts.paths().unpin(pathBody(ex, method))));
      case "/api/invalidate" -> send(ex, 200, affected(parts.paths().invalidate(pathBody(ex, method))));
      case "/api/evict" -> {
        requireMethod(method, "POST");
        JsonNode body = body(ex);
        known(body, "path", "all");
        boolean all = body.hasNonNull("all") && boolValue(body.get("all"), "all");
        if (all == body.hasNonNull("path")) {
          throw new HttpError(400, "INVALID_ARGUMENT", "give either \"path\" or \"all\": true");
        }
        send(ex, 200, affected(all ? parts.paths().evictAll() : parts.paths().evict(textValue(body.get("path"), "path"))));
      }
      default -> {
        Matcher m = JOB.matcher(path);
        if (!m.matches()) {
          throw new HttpError(404, "NOT_FOUND", "no such endpoint: " + path);
        }
        String id = m.group(1);
        Optional<JobView> job;
        if (m.group(2) != null) {
          requireMethod(method, "POST");
          job = parts.jobs().cancel(id);
        } else {
          requireMethod(method, "GET");
          job = parts.jobs().get(id);
        }
        send(ex, 200, job.orElseThrow(() -> new HttpError(404, "NOT_FOUND", "no job " + id)));
      }
    }
  }

  private static Map<String, Long> affected(CachePaths.Affected a) {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("blocks", a.blocks());
    m.put("bytes", a.bytes());
    m.put("attributes", a.attributes());
    return m;
  }

  private String pathBody(HttpExchange ex, String method) throws IOException {
    requireMethod(method, "POST");
    JsonNode body = body(ex);
    known(body, "path");
    if (!body.hasNonNull("path")) {
      throw new HttpError(400, "INVALID_ARGUMENT", "\"path\" is required");
    }
    return textValue(body.get("path"), "path");
  }

  private void prometheus(HttpExchange ex) throws IOException {
    sendBytes(ex, 200, MetricsExposition.PROMETHEUS_CONTENT_TYPE, exposition.prometheusText());
  }

  private void staticFile(HttpExchange ex, String path) throws IOException {
    String name;
    if (path.equals("/") || path.equals("/dashboard") || path.equals("/dashboard/")) {
      name = "index.html";
    } else if (path.startsWith("/dashboard/")) {
      name = path.substring("/dashboard/".length());
    } else {
      throw new HttpError(404, "NOT_FOUND", "not found: " + path);
    }
    // A strict whitelist of names (raw path: no %-escapes, no "..", no leading dot) rules out traversal.
    if (!RESOURCE.matcher(name).matches() || name.contains("..")) {
      throw new HttpError(404, "NOT_FOUND", "not found: " + path);
    }
    byte[] body;
    try (InputStream in = AdminServer.class.getClassLoader().getResourceAsStream(DASHBOARD + name)) {
      if (in == null) {
        throw new HttpError(404, "NOT_FOUND", "not found: " + path);
      }
      body = in.readAllBytes();
    }
    int dot = name.lastIndexOf('.');
    String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.getResponseHeaders().set("Content-Type", TYPES.getOrDefault(ext, "application/octet-stream"));
      ex.sendResponseHeaders(200, -1);
      return;
    }
    sendBytes(ex, 200, TYPES.getOrDefault(ext, "application/octet-stream"), body);
  }

  private JsonNode body(HttpExchange ex) throws IOException {
    byte[] bytes;
    try (InputStream in = ex.getRequestBody()) {
      bytes = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (bytes.length > MAX_BODY_BYTES) {
      throw new HttpError(413, "INVALID_ARGUMENT", "request body over " + MAX_BODY_BYTES + " bytes");
    }
    if (bytes.length == 0) {
      return json.createObjectNode();
    }
    JsonNode n;
    try {
      n = json.readTree(bytes);
    } catch (IOException e) {
      throw new HttpError(400, "INVALID_ARGUMENT", "request body is not JSON");
    }
    if (n == null || !n.isObject()) {
      throw new HttpError(400, "INVALID_ARGUMENT", "request body must be a JSON object");
    }
    return n;
  }

  private static void known(JsonNode body, String... fields) {
    List<String> allowed = List.of(fields);
    body.fieldNames().forEachRemaining(f -> {
      if (!allowed.contains(f)) {
        throw new HttpError(400, "INVALID_ARGUMENT", "unknown field \"" + f + "\" (allowed: "
            + String.join(", ", allowed) + ")");
      }
    });
  }

  private static String textValue(JsonNode n, String field) {
    if (n == null || !n.isTextual()) {
      throw new HttpError(400, "INVALID_ARGUMENT", field + " must be a string");
    }
    return n.textValue();
  }

  private static boolean boolValue(JsonNode n, String field) {
    if (!n.isBoolean()) {
      throw new HttpError(400, "INVALID_ARGUMENT", field + " must be true or false");
    }
    return n.booleanValue();
  }

  private static long longValue(JsonNode n, String field) {
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new HttpError(400, "INVALID_ARGUMENT", field + " must be a whole number");
    }
    return n.longValue();
  }

  private static void requireMethod(String method, String... allowed) {
    for (String a : allowed) {
      if (a.equals(method)) {
        return;
      }
    }
    throw new HttpError(405, "INVALID_ARGUMENT", "method " + method + " not allowed here (use "
        + String.join(" or ", allowed) + ")");
  }

  private static int status(ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT, INVALID_PATH -> 400;
      case UNAUTHORIZED -> 401;
      case FORBIDDEN -> 403;
      case NOT_FOUND -> 404;
      case UNAVAILABLE, BUSY -> 503;
      default -> 500;
    };
  }

  private void error(HttpExchange ex, int status, String code, String message) throws IOException {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", message == null ? code : message);
    body.put("code", code);
    send(ex, status, body);
  }

  private void send(HttpExchange ex, int status, Object body) throws IOException {
    sendBytes(ex, status, "application/json", json.writeValueAsBytes(body));
  }

  private static void sendBytes(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** An HTTP-level refusal (method, route, body) with its status. */
  private static final class HttpError extends RuntimeException {
    final int status;
    final String code;

    HttpError(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
