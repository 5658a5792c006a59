package dev.outpost.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.Frames;
import dev.outpost.transport.Heartbeat;
import dev.outpost.transport.ServerLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads a {@link ProxyConfig} from YAML. Every default and every range lives here; a bad value fails at start
 * with INVALID_ARGUMENT naming the key, the value and what is allowed. Unknown keys are refused (a typo must
 * not silently fall back to a default).
 */
public final class ProxyConfigLoader {
  public static final int DEFAULT_PORT = 7071;
  public static final long DEFAULT_CACHE_BYTES = 10L << 30;
  public static final long MIN_CACHE_BYTES = 1L << 20;
  public static final long DEFAULT_SYNC_MILLIS = 1000;
  public static final long DEFAULT_ATTR_ENTRIES = 100_000;
  public static final long DEFAULT_RECONNECT_INITIAL_MILLIS = 200;
  public static final long DEFAULT_RECONNECT_MAX_MILLIS = 30_000;
  public static final long DEFAULT_REQUEST_TIMEOUT_MILLIS = 30_000;
  public static final long DEFAULT_GRACE_MILLIS = 5_000;
  public static final long MAX_GRACE_MILLIS = 3_600_000;
  public static final int DEFAULT_ADMIN_PORT = 7480;

  private static final Set<String> TOP = Set.of("volume", "listen", "origin", "tokenFile", "originPublicKeyFile",
      "tls", "upstreamTls", "cache", "attrs", "reconnect", "heartbeat", "disconnected", "maxFrameBytes",
      "requestTimeoutMillis", "metrics", "admin", "limits");

  private ProxyConfigLoader() {}

  /** @throws OutpostException INVALID_ARGUMENT naming the bad key; NOT_FOUND if the file is missing */
  public static ProxyConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "cannot read config " + file + ": " + e.getMessage(), e);
    }
    Path base = file.toAbsolutePath().getParent();
    return parse(text, base);
  }

  /** Parses YAML text; relative paths resolve against {@code base}. */
  public static ProxyConfig parse(String yaml, Path base) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (IOException e) {
      throw bad("config is not valid YAML: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw bad("config must be a YAML mapping");
    }
    known(root, "", TOP);
    String volume = requiredText(root, "volume");
    ProxyConfig.Listen listen = listen(root.get("listen"), "listen", "0.0.0.0", DEFAULT_PORT, false);
    ProxyConfig.Listen origin = listen(root.get("origin"), "origin", null, -1, true);
    Path tokenFile = path(base, requiredText(root, "tokenFile"));
    Path publicKey = path(base, requiredText(root, "originPublicKeyFile"));
    ProxyConfig.Tls tls = tls(root.get("tls"), "tls", base, true);
    ProxyConfig.Tls upstreamTls = tls(root.get("upstreamTls"), "upstreamTls", base, false);

    JsonNode c = object(root, "cache");
    known(c, "cache.", Set.of("dir", "maxBytes", "maxMapBytes", "syncIntervalMillis", "readerThreads"));
    Path dir = path(base, requiredText(c, "dir", "cache.dir"));
    long maxBytes = size(c, "maxBytes", "cache.maxBytes", DEFAULT_CACHE_BYTES, MIN_CACHE_BYTES, 1L << 42);
    long maxMap = size(c, "maxMapBytes", "cache.maxMapBytes", Math.max(64L << 20, maxBytes * 2 + (64L << 20)),
        maxBytes + (1L << 20), 1L << 44);
    long sync = number(c, "syncIntervalMillis", "cache.syncIntervalMillis", DEFAULT_SYNC_MILLIS, 10, 3_600_000);
    int readers = (int) number(c, "readerThreads", "cache.readerThreads",
        Math.max(2, Runtime.getRuntime().availableProcessors()), 1, 256);

    JsonNode a = optionalObject(root, "attrs");
    known(a, "attrs.", Set.of("maxEntries", "prefetchMaxFileBytes", "prefetchMaxBlocks", "prefetchDirBytes",
        "prefetchInFlightBytes", "prefetchDirDepth"));
    long attrEntries = number(a, "maxEntries", "attrs.maxEntries", DEFAULT_ATTR_ENTRIES, 0, 100_000_000);
    long prefetchBytes = size(a, "prefetchMaxFileBytes", "attrs.prefetchMaxFileBytes", 8L << 20, 0, 1L << 30);
    int prefetchBlocks = (int) number(a, "prefetchMaxBlocks", "attrs.prefetchMaxBlocks", 4096, 0, 65_536);
    long prefetchDir = size(a, "prefetchDirBytes", "attrs.prefetchDirBytes", 8L << 20, 0, 1L << 30);
    long prefetchInFlight = size(a, "prefetchInFlightBytes", "attrs.prefetchInFlightBytes", 8L << 20, 1L << 20,
        1L << 30);
    int prefetchDepth = (int) number(a, "prefetchDirDepth", "attrs.prefetchDirDepth", 2, 0, 8);

    JsonNode r = optionalObject(root, "reconnect");
    known(r, "reconnect.", Set.of("initialMillis", "maxMillis"));
    long initial = number(r, "initialMillis", "reconnect.initialMillis", DEFAULT_RECONNECT_INITIAL_MILLIS, 1, 60_000);
    long max = number(r, "maxMillis", "reconnect.maxMillis", Math.max(initial, DEFAULT_RECONNECT_MAX_MILLIS),
        initial, 3_600_000);

    // Ranges from the transport's Heartbeat (one place); a lone interval keeps the default ratio (3).
    JsonNode hb = optionalObject(root, "heartbeat");
    known(hb, "heartbeat.", Set.of("intervalMillis", "timeoutMillis"));
    long interval = number(hb, "intervalMillis", "heartbeat.intervalMillis", Heartbeat.DEFAULT.intervalMillis(),
        Heartbeat.MIN_INTERVAL_MILLIS, Heartbeat.MAX_INTERVAL_MILLIS);
    long heartbeatTimeout = number(hb, "timeoutMillis", "heartbeat.timeoutMillis",
        Math.max(Heartbeat.DEFAULT.timeoutMillis(), 3 * interval), Heartbeat.minTimeoutMillis(interval),
        Heartbeat.MAX_TIMEOUT_MILLIS);

    JsonNode d = optionalObject(root, "disconnected");
    known(d, "disconnected.", Set.of("graceMillis"));
    long grace = number(d, "graceMillis", "disconnected.graceMillis", DEFAULT_GRACE_MILLIS, 0, MAX_GRACE_MILLIS);

    int maxFrame = (int) size(root, "maxFrameBytes", "maxFrameBytes", Frames.DEFAULT_MAX_FRAME_BYTES,
        Frames.MIN_MAX_FRAME_BYTES, 64 << 20);
    long timeout = number(root, "requestTimeoutMillis", "requestTimeoutMillis", DEFAULT_REQUEST_TIMEOUT_MILLIS, 1,
        600_000);
    Optional<ProxyConfig.Listen> metrics = metrics(root.get("metrics"));
    Optional<ProxyConfig.Admin> admin = admin(root.get("admin"), base, dir);
    JsonNode li = optionalObject(root, "limits");
    known(li, "limits.", Arrays.stream(ServerLimits.Key.values()).map(ServerLimits.Key::configName)
        .collect(Collectors.toSet()));
    ServerLimits limits = ServerLimits.of(k -> k.bytes()
        ? size(li, k.configName(), "limits." + k.configName(), k.defaultValue(), k.min(), k.max())
        : number(li, k.configName(), "limits." + k.configName(), k.defaultValue(), k.min(), k.max()));
    return new ProxyConfig(volume, listen, origin, tokenFile, publicKey, tls, upstreamTls,
        new ProxyConfig.Cache(dir, maxBytes, maxMap, sync, readers), new ProxyConfig.Attrs(attrEntries, prefetchBytes, prefetchBlocks,
            prefetchDir, prefetchInFlight, prefetchDepth),
        new ProxyConfig.Reconnect(initial, max), new ProxyConfig.Heartbeat(interval, heartbeatTimeout),
        new ProxyConfig.Disconnected(grace), maxFrame, timeout, metrics, admin, limits);
  }

  /** The admin API is served only when configured; the token file defaults to admin.token in the cache dir. */
  private static Optional<ProxyConfig.Admin> admin(JsonNode n, Path base, Path cacheDir) {
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isObject()) {
      throw bad("admin must be a mapping with enabled, host, port and tokenFile");
    }
    known(n, "admin.", Set.of("enabled", "host", "port", "tokenFile"));
    if (n.has("enabled") && !bool(n.get("enabled"), "admin.enabled")) {
      return Optional.empty();
    }
    String host = n.hasNonNull("host") ? text(n.get("host"), "admin.host") : "127.0.0.1";
    int port = (int) number(n, "port", "admin.port", DEFAULT_ADMIN_PORT, 0, 65535);
    Path token = n.hasNonNull("tokenFile") ? path(base, text(n.get("tokenFile"), "admin.tokenFile"))
        : cacheDir.resolve("admin.token");
    return Optional.of(new ProxyConfig.Admin(new ProxyConfig.Listen(host, port), token));
  }

  private static Optional<ProxyConfig.Listen> metrics(JsonNode n) {
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isObject()) {
      throw bad("metrics must be a mapping with enabled, host and port");
    }
    known(n, "metrics.", Set.of("enabled", "host", "port"));
    if (n.has("enabled") && !bool(n.get("enabled"), "metrics.enabled")) {
      return Optional.empty();
    }
    String host = n.hasNonNull("host") ? text(n.get("host"), "metrics.host") : "127.0.0.1";
    int port = (int) number(n, "port", "metrics.port", 9471, 0, 65535);
    return Optional.of(new ProxyConfig.Listen(host, port));
  }

  private static ProxyConfig.Listen listen(JsonNode n, String key, String defaultHost, int defaultPort,
      boolean required) {
    if (n == null || n.isNull()) {
      if (required) {
        throw bad(key + " is required (host and port)");
      }
      return new ProxyConfig.Listen(defaultHost, defaultPort);
    }
    if (!n.isObject()) {
      throw bad(key + " must be a mapping with host and port");
    }
    known(n, key + ".", Set.of("host", "port"));
    String host = n.hasNonNull("host") ? text(n.get("host"), key + ".host") : defaultHost;
    if (host == null) {
      throw bad(key + ".host is required");
    }
    if (!n.hasNonNull("port") && defaultPort < 0) {
      throw bad(key + ".port is required");
    }
    int port = (int) number(n, "port", key + ".port", Math.max(defaultPort, 0), required ? 1 : 0, 65535);
    return new ProxyConfig.Listen(host, port);
  }

  private static ProxyConfig.Tls tls(JsonNode n, String key, Path base, boolean certRequired) {
    if (n == null || n.isNull()) {
      return ProxyConfig.Tls.OFF;
    }
    if (!n.isObject()) {
      throw bad(key + " must be a mapping");
    }
    known(n, key + ".", Set.of("enabled", "ca", "cert", "key"));
    boolean enabled = n.has("enabled") && bool(n.get("enabled"), key + ".enabled");
    Optional<Path> ca = optPath(n, "ca", key, base);
    Optional<Path> cert = optPath(n, "cert", key, base);
    Optional<Path> k = optPath(n, "key", key, base);
    if (enabled) {
      if (ca.isEmpty()) {
        throw bad(key + ".ca is required when " + key + ".enabled is true");
      }
      if (certRequired && (cert.isEmpty() || k.isEmpty())) {
        throw bad(key + ".cert and " + key + ".key are required when " + key + ".enabled is true");
      }
      if (cert.isPresent() != k.isPresent()) {
        throw bad(key + ".cert and " + key + ".key go together");
      }
    }
    return new ProxyConfig.Tls(enabled, ca, cert, k);
  }

  private static Optional<Path> optPath(JsonNode n, String field, String key, Path base) {
    return n.hasNonNull(field) ? Optional.of(path(base, text(n.get(field), key + "." + field))) : Optional.empty();
  }

  private static void known(JsonNode n, String prefix, Set<String> allowed) {
    if (n == null || n.isNull()) {
      return;
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw bad("unknown key " + prefix + f + " (allowed: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
      }
    }
  }

  private static JsonNode object(JsonNode parent, String key) {
    JsonNode n = parent.get(key);
    if (n == null || !n.isObject()) {
      throw bad(key + " is required and must be a mapping");
    }
    return n;
  }

  private static JsonNode optionalObject(JsonNode parent, String key) {
    JsonNode n = parent.get(key);
    if (n != null && !n.isNull() && !n.isObject()) {
      throw bad(key + " must be a mapping");
    }
    return n;
  }

  private static String requiredText(JsonNode n, String field) {
    return requiredText(n, field, field);
  }

  private static String requiredText(JsonNode n, String field, String key) {
    if (n == null || !n.hasNonNull(field)) {
      throw bad(key + " is required");
    }
    return text(n.get(field), key);
  }

  private static String text(JsonNode v, String key) {
    if (!v.isTextual() && !v.isNumber()) {
      throw bad(key + " must be a string, got " + v);
    }
    String s = v.asText().strip();
    if (s.isEmpty()) {
      throw bad(key + " must not be empty");
    }
    return s;
  }

  private static boolean bool(JsonNode v, String key) {
    if (!v.isBoolean()) {
      throw bad(key + " must be true or false, got " + v);
    }
    return v.booleanValue();
  }

  private static long number(JsonNode n, String field, String key, long dflt, long min, long max) {
    if (n == null || !n.hasNonNull(field)) {
      return dflt;
    }
    JsonNode v = n.get(field);
    if (!v.canConvertToLong() || !v.isIntegralNumber()) {
      throw bad(key + " must be a whole number in " + min + ".." + max + ", got " + v);
    }
    return inRange(v.longValue(), key, min, max);
  }

  /** A byte size: a number, or a number with a unit (KiB, MiB, GiB, TiB; K/M/G/T mean the same). */
  private static long size(JsonNode n, String field, String key, long dflt, long min, long max) {
    if (n == null || !n.hasNonNull(field)) {
      return dflt;
    }
    JsonNode v = n.get(field);
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      return inRange(v.longValue(), key, min, max);
    }
    if (!v.isTextual()) {
      throw bad(key + " must be a byte size like 512MiB or 10GiB, got " + v);
    }
    return inRange(parseSize(v.asText(), key), key, min, max);
  }

  static long parseSize(String s, String key) {
    String t = s.strip().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
    int shift = 0;
    if (!t.isEmpty()) {
      switch (t.charAt(t.length() - 1)) {
        case 'K' -> shift = 10;
        case 'M' -> shift = 20;
        case 'G' -> shift = 30;
        case 'T' -> shift = 40;
        default -> shift = 0;
      }
    }
    String digits = shift == 0 ? t : t.substring(0, t.length() - 1).strip();
    try {
      long value = Long.parseLong(digits);
      if (value < 0 || value > (Long.MAX_VALUE >> shift)) {
        throw bad(key + " is out of range: " + s);
      }
      return value << shift;
    } catch (NumberFormatException e) {
      throw bad(key + " must be a byte size like 512MiB or 10GiB, got '" + s + "'");
    }
  }

  private static long inRange(long v, String key, long min, long max) {
    if (v < min || v > max) {
      throw bad(key + " = " + v + " is outside the allowed range " + min + ".." + max);
    }
    return v;
  }

  private static Path path(Path base, String p) {
    Path path = Path.of(p);
    return path.isAbsolute() || base == null ? path : base.resolve(path).normalize();
  }

  private static OutpostException bad(String message) {
    return new OutpostException(ErrorCode.INVALID_ARGUMENT, "config: " + message);
  }
}
