package dev.outpost.origin.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.SnapshotInfo;
import dev.outpost.store.StorageConfig;
import dev.outpost.transport.ServerLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@link OriginConfig} from YAML. The one place holding defaults and allowed ranges: a bad value fails
 * at start with INVALID_ARGUMENT naming the key, the value and the range ("listen.port: 70000 is outside
 * 0..65535"); an unknown key fails too, so a typo is never silently ignored.
 */
public final class OriginConfigLoader {
  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 7070;
  public static final long DEFAULT_INITIAL_MAP_BYTES = 64L << 20;
  public static final long DEFAULT_MAX_MAP_BYTES = 64L << 30;
  public static final int DEFAULT_MAX_READERS = 126;
  public static final long DEFAULT_RETAIN_EVENTS = 1_000_000;
  public static final int DEFAULT_SUBSCRIBER_QUEUE_EVENTS = 10_000;
  public static final long DEFAULT_GC_INTERVAL_SECONDS = 6 * 3600;
  public static final long DEFAULT_GC_GRACE_SECONDS = 24 * 3600;
  public static final String DEFAULT_SNAPSHOT_PATTERN = "'auto-'yyyyMMdd-HHmmss";
  public static final long DEFAULT_LEASE_MAX_TTL_SECONDS = 300;
  public static final int DEFAULT_READER_THREADS = 4;
  public static final int DEFAULT_QUEUED_REQUESTS = 10_000;
  /** Smallest frame limit: one maximal block plus its header must fit. */
  public static final int MIN_FRAME_BYTES = Frames.MIN_MAX_FRAME_BYTES;
  public static final int MAX_FRAME_BYTES = 64 << 20;

  private OriginConfigLoader() {}

  /**
   * Reads and validates a config file.
   *
   * @throws OutpostException INVALID_ARGUMENT (bad value, unknown key, unreadable file)
   */
  public static OriginConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot read config " + file + ": " + e.getMessage(), e);
    }
    Path base = file.toAbsolutePath().getParent();
    return parse(text, base);
  }

  /** Parses YAML text; relative paths resolve against {@code baseDir}. */
  public static OriginConfig parse(String yaml, Path baseDir) {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(yaml);
    } catch (JacksonException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "config is not valid YAML: " + e.getOriginalMessage(), e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      root = MissingNode.getInstance();
    }
    Section top = new Section("", root);
    Path dataDir = top.path("dataDir", baseDir, null);
    if (dataDir == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "dataDir: missing (where the volume lives)");
    }
    Section l = top.section("listen");
    OriginConfig.Listen listen = new OriginConfig.Listen(l.text("host", DEFAULT_HOST), l.intIn("port", DEFAULT_PORT, 0, 65535));
    l.done();

    Section t = top.section("tls");
    Path tlsDir = dataDir.resolve("tls");
    OriginConfig.Tls tls = new OriginConfig.Tls(t.bool("enabled", true),
        t.path("ca", baseDir, tlsDir.resolve("ca.pem")),
        t.path("cert", baseDir, tlsDir.resolve("server.pem")),
        t.path("key", baseDir, tlsDir.resolve("server.key")),
        t.bool("requireClientCerts", true));
    t.done();

    int maxFrameBytes = top.intIn("maxFrameBytes", Frames.DEFAULT_MAX_FRAME_BYTES, MIN_FRAME_BYTES, MAX_FRAME_BYTES);

    Section s = top.section("store");
    long initialMap = s.longIn("initialMapBytes", DEFAULT_INITIAL_MAP_BYTES, StorageConfig.MIN_MAP_BYTES, StorageConfig.MAX_MAP_BYTES);
    long maxMap = s.longIn("maxMapBytes", Math.max(DEFAULT_MAX_MAP_BYTES, initialMap), initialMap, StorageConfig.MAX_MAP_BYTES);
    int maxReaders = s.intIn("maxReaders", DEFAULT_MAX_READERS, StorageConfig.MIN_READERS, StorageConfig.MAX_READERS);
    s.done();

    Section j = top.section("journal");
    OriginConfig.Journal journal = new OriginConfig.Journal(
        j.longIn("retainEvents", DEFAULT_RETAIN_EVENTS, 1, Integer.MAX_VALUE),
        j.intIn("subscriberQueueEvents", DEFAULT_SUBSCRIBER_QUEUE_EVENTS, 16, 10_000_000));
    j.done();

    Section g = top.section("gc");
    OriginConfig.Gc gc = new OriginConfig.Gc(g.longIn("intervalSeconds", DEFAULT_GC_INTERVAL_SECONDS, 0, 366L * 86400),
        g.longIn("graceSeconds", DEFAULT_GC_GRACE_SECONDS, 0, 366L * 86400));
    g.done();

    Section sn = top.section("snapshots");
    String pattern = sn.text("autoNamePattern", DEFAULT_SNAPSHOT_PATTERN);
    checkSnapshotPattern(pattern);
    OriginConfig.Snapshots snapshots = new OriginConfig.Snapshots(pattern,
        sn.longIn("autoIntervalSeconds", 0, 0, 366L * 86400));
    sn.done();

    Section le = top.section("leases");
    OriginConfig.Leases leases = new OriginConfig.Leases(le.longIn("maxTtlSeconds", DEFAULT_LEASE_MAX_TTL_SECONDS, 1, 86400));
    le.done();

    Section sv = top.section("server");
    OriginConfig.Server server = new OriginConfig.Server(sv.intIn("readerThreads", DEFAULT_READER_THREADS, 1, 256),
        sv.intIn("queuedRequests", DEFAULT_QUEUED_REQUESTS, 16, 1_000_000));
    sv.done();

    Optional<OriginConfig.Listen> metrics = Optional.empty();
    if (top.has("metrics")) {
      Section m = top.section("metrics");
      if (m.bool("enabled", true)) {
        metrics = Optional.of(new OriginConfig.Listen(m.text("host", "127.0.0.1"), m.intIn("port", 9470, 0, 65535)));
      } else {
        m.text("host", "127.0.0.1");
        m.intIn("port", 9470, 0, 65535);
      }
      m.done();
    }
    Section li = top.section("limits");
    ServerLimits limits = ServerLimits.of(k -> li.longIn(k.configName(), k.defaultValue(), k.min(), k.max()));
    li.done();
    top.done();
    return new OriginConfig(dataDir, listen, tls, maxFrameBytes,
        new OriginConfig.Store(initialMap, maxMap, maxReaders), journal, gc, snapshots, leases, server, metrics,
        limits);
  }

  /** The defaults for a data directory, as {@code init} writes them and tests use them. */
  public static OriginConfig defaults(Path dataDir) {
    return parse("dataDir: " + quote(dataDir.toAbsolutePath().toString()) + "\n", dataDir.toAbsolutePath());
  }

  /** The snapshot name an automatic snapshot taken at {@code when} gets. */
  public static String autoSnapshotName(String pattern, ZonedDateTime when) {
    return DateTimeFormatter.ofPattern(pattern).format(when);
  }

  private static void checkSnapshotPattern(String pattern) {
    String sample;
    try {
      sample = autoSnapshotName(pattern, ZonedDateTime.of(2026, 12, 31, 23, 59, 58, 0, ZoneOffset.UTC));
    } catch (IllegalArgumentException | DateTimeException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "snapshots.autoNamePattern: '" + pattern + "' is not a date-time pattern: " + e.getMessage(), e);
    }
    try {
      SnapshotInfo.checkName(sample);
      if (sample.isEmpty()) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "empty");
      }
    } catch (OutpostException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "snapshots.autoNamePattern: '" + pattern
          + "' yields '" + sample + "', but snapshot names must be 1..64 of [A-Za-z0-9._-]", e);
    }
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** One mapping of the YAML tree; remembers which keys were read so unknown ones can be reported. */
  private static final class Section {
    private final String name;
    private final JsonNode node;
    private final Set<String> read = new HashSet<>();

    Section(String name, JsonNode node) {
      this.name = name;
      this.node = node;
      if (!node.isMissingNode() && !node.isObject()) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, (name.isEmpty() ? "config" : name) + ": expected a mapping");
      }
    }

    private String key(String k) {
      return name.isEmpty() ? k : name + "." + k;
    }

    boolean has(String k) {
      return node.has(k) && !node.get(k).isNull();
    }

    private Optional<JsonNode> get(String k) {
      read.add(k);
      JsonNode v = node.get(k);
      return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
    }

    Section section(String k) {
      return new Section(key(k), get(k).orElse(MissingNode.getInstance()));
    }

    String text(String k, String def) {
      Optional<JsonNode> v = get(k);
      if (v.isEmpty()) {
        return def;
      }
      if (!v.get().isValueNode() || v.get().asText().isBlank()) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, key(k) + ": expected a non-empty text, got " + v.get());
      }
      return v.get().asText();
    }

    Path path(String k, Path base, Path def) {
      String t = text(k, null);
      return t == null ? def : base.resolve(t).normalize();
    }

    boolean bool(String k, boolean def) {
      Optional<JsonNode> v = get(k);
      if (v.isEmpty()) {
        return def;
      }
      if (!v.get().isBoolean()) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, key(k) + ": " + v.get() + " is not true or false");
      }
      return v.get().booleanValue();
    }

    long longIn(String k, long def, long min, long max) {
      Optional<JsonNode> v = get(k);
      if (v.isEmpty()) {
        return def;
      }
      JsonNode n = v.get();
      long value;
      if (n.isIntegralNumber() && n.canConvertToLong()) {
        value = n.longValue();
      } else if (n.isTextual()) {
        value = parseSize(key(k), n.asText());
      } else {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, key(k) + ": " + n + " is not a whole number");
      }
      if (value < min || value > max) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, key(k) + ": " + value + " is outside " + min + ".." + max);
      }
      return value;
    }

    int intIn(String k, int def, int min, int max) {
      return (int) longIn(k, def, min, max);
    }

    /** Ends the section: any key not read is a typo or an option this version lacks. */
    void done() {
      List<String> unknown = new ArrayList<>();
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!read.contains(f)) {
          unknown.add(key(f));
        }
      }
      if (!unknown.isEmpty()) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "unknown config key" + (unknown.size() > 1 ? "s " : " ")
            + String.join(", ", unknown));
      }
    }
  }

  /** Sizes as "64MiB", "1GiB", "512KiB" or a plain number. */
  private static long parseSize(String key, String text) {
    String t = text.strip();
    long unit = 1;
    for (String[] u : new String[][] {{"KiB", "1024"}, {"MiB", "1048576"}, {"GiB", "1073741824"}, {"TiB", "1099511627776"}}) {
      if (t.endsWith(u[0])) {
        unit = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length()).strip();
        break;
      }
    }
    try {
      return Math.multiplyExact(Long.parseLong(t), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          key + ": '" + text + "' is not a number (sizes may end in KiB, MiB, GiB, TiB)", e);
    }
  }
}
