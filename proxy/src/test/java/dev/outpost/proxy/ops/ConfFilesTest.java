package dev.outpost.proxy.ops;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.outpost.proxy.admin.AdminFixture;
import dev.outpost.proxy.metrics.ProxyMetrics;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example files in conf/ that are not program configs: logback.xml configures and writes both formats, the
 * Prometheus and Grafana examples only name metrics the proxy has, and client.yaml only uses keys the CLI knows.
 */
class ConfFilesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern METRIC = Pattern.compile("\\boutpost_[a-zA-Z0-9_:]+");
  /** What the Prometheus text format appends: counters and meters _total, timers (summaries) _count and _sum. */
  private static final Pattern SUFFIX = Pattern.compile("(_total|_count|_sum)$");
  private static final Path CONF = SystemdUnitsTest.repo().resolve("conf");

  @TempDir Path dir;

  // ---- metric names ----

  /**
   * The name the admin API's exporter (prometheus-metrics DropwizardExports) gives a Dropwizard metric: its own
   * sanitizer and exposition name, so outpost.proxy.cache.hitBytes is outpost_proxy_cache_hitBytes.
   */
  static String prometheusName(String dropwizardName) {
    return PrometheusNaming.prometheusName(PrometheusNaming.sanitizeMetricName(dropwizardName));
  }

  /** Every metric name constant of ProxyMetrics, in Prometheus naming; per-op families end in "_". */
  static Set<String> proxyMetricNames() throws IllegalAccessException {
    return metricNames(ProxyMetrics.class);
  }

  /** The Prometheus names of the metric-name constants of {@code metricsClass}. */
  static Set<String> metricNames(Class<?> metricsClass) throws IllegalAccessException {
    Set<String> names = new TreeSet<>();
    for (Field f : metricsClass.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class && !f.getName().equals("PREFIX")) {
        names.add(prometheusName((String) f.get(null)));
      }
    }
    return names;
  }

  static boolean known(Set<String> names, String referenced) {
    String base = SUFFIX.matcher(referenced).replaceFirst("");
    return names.stream().anyMatch(n -> !n.endsWith("_") && (n.equals(base) || n.equals(referenced)))
        || names.stream().anyMatch(n -> n.endsWith("_") && base.startsWith(n) && base.length() > n.length());
  }

  static List<String> grafanaExpressions() throws IOException {
    List<String> exprs = new ArrayList<>();
    JsonNode dash = JSON.readTree(CONF.resolve("grafana-dashboard.json").toFile());
    for (JsonNode panel : dash.get("panels")) {
      for (JsonNode t : panel.path("targets")) {
        exprs.add(t.get("expr").asText());
      }
    }
    for (JsonNode v : dash.at("/templating/list")) {
      if (v.has("definition")) {
        exprs.add(v.get("definition").asText());
      }
    }
    return exprs;
  }

  @Test
  void grafanaDashboardOnlyChartsMetricsTheProxyHas() throws Exception {
    Set<String> names = proxyMetricNames();
    Set<String> referenced = new TreeSet<>();
    for (String expr : grafanaExpressions()) {
      Matcher m = METRIC.matcher(expr);
      while (m.find()) {
        referenced.add(m.group());
      }
    }

    assertThat(referenced).isNotEmpty().allSatisfy(r -> assertThat(known(names, r))
        .as(r + " is not one of ProxyMetrics' names " + names).isTrue());
    Set<String> bases = new HashSet<>();
    referenced.forEach(r -> bases.add(SUFFIX.matcher(r).replaceFirst("")));
    // What a branch administrator looks at: hit ratio, WAN saved, latency, cache fill, link, invalidations.
    assertThat(bases).contains(prometheusName(ProxyMetrics.CACHE_HITS), prometheusName(ProxyMetrics.CACHE_MISSES),
        prometheusName(ProxyMetrics.BYTES_FROM_CACHE), prometheusName(ProxyMetrics.BYTES_FROM_ORIGIN),
        prometheusName(ProxyMetrics.REQUEST_LATENCY), prometheusName(ProxyMetrics.CACHE_BYTES),
        prometheusName(ProxyMetrics.LINK_STATE), prometheusName(ProxyMetrics.INVALIDATIONS));
  }

  /** The names a real proxy's /metrics (admin API) exposes after some traffic; the dashboard must chart those. */
  @Test
  void grafanaDashboardChartsSeriesARealProxyExposes() throws Exception {
    Set<String> scraped = new TreeSet<>();
    try (AdminFixture f = AdminFixture.start(dir.resolve("proxy"))) {
      f.writeFiles("/w", 2, 10_000, 3);
      try (var c = f.viaProxy()) {
        AdminFixture.readAll(c, "/w/f0.bin");
      }
      var r = f.http("GET", "/metrics", null, null);
      assertThat(r.statusCode()).isEqualTo(200);
      for (String line : r.body().split("\n")) {
        Matcher m = Pattern.compile("^(outpost_[a-zA-Z0-9_:]+)[{ ]").matcher(line);
        if (m.find()) {
          scraped.add(m.group(1));
        }
      }
    }
    Set<String> referenced = new TreeSet<>();
    for (String expr : grafanaExpressions()) {
      Matcher m = METRIC.matcher(expr);
      while (m.find()) {
        referenced.add(m.group());
      }
    }
    assertThat(scraped).containsAll(referenced);
  }

  @Test
  void driftIsCaught() throws Exception {
    Set<String> names = proxyMetricNames();
    assertThat(known(names, "outpost_proxy_cache_hits_total")).isTrue();
    assertThat(known(names, "outpost_proxy_bytes_fromCache_total")).isTrue();
    assertThat(known(names, "outpost_proxy_requests_getattr_total")).isTrue();
    assertThat(known(names, "outpost_proxy_bytes_from_cache_total")).isFalse();
    assertThat(known(names, "outpost_proxy_cache_hitz_total")).isFalse();
    assertThat(known(names, "outpost_proxy_requests_")).isFalse();
  }

  @Test
  void grafanaDashboardIsImportable() throws IOException {
    JsonNode dash = JSON.readTree(CONF.resolve("grafana-dashboard.json").toFile());
    assertThat(dash.get("uid").asText()).isEqualTo("outpost-proxy");
    assertThat(dash.get("schemaVersion").asInt()).isGreaterThanOrEqualTo(30);
    Set<Integer> ids = new HashSet<>();
    for (JsonNode p : dash.get("panels")) {
      assertThat(ids.add(p.get("id").asInt())).as("unique panel id " + p.get("id")).isTrue();
      assertThat(p.get("gridPos").get("x").asInt() + p.get("gridPos").get("w").asInt()).isLessThanOrEqualTo(24);
      assertThat(p.get("targets")).isNotEmpty();
      assertThat(p.get("datasource").get("uid").asText()).isEqualTo("${datasource}");
    }
  }

  @Test
  void prometheusScrapesTheProxyAndKeepsOnlyItsMetrics() throws Exception {
    JsonNode prom = YAML.readTree(CONF.resolve("prometheus.yml").toFile());
    JsonNode proxyJob = null;
    for (JsonNode job : prom.get("scrape_configs")) {
      if (job.get("job_name").asText().equals("outpost-proxy")) {
        proxyJob = job;
      }
      boolean origin = job.get("job_name").asText().equals("outpost-origin");
      Set<String> names = origin ? metricNames(dev.outpost.origin.metrics.OriginMetrics.class) : proxyMetricNames();
      for (JsonNode relabel : job.path("metric_relabel_configs")) {
        Pattern keep = Pattern.compile(relabel.get("regex").asText());
        assertThat(names).as("keep regex " + keep + " matches some " + (origin ? "origin" : "proxy") + " metric")
            .anyMatch(n -> keep.matcher(n + "total").matches());
      }
    }
    assertThat(proxyJob).isNotNull();
    assertThat(proxyJob.get("metrics_path").asText()).isEqualTo("/metrics");
    assertThat(proxyJob.at("/static_configs/0/targets")).isNotEmpty();
    Matcher m = METRIC.matcher(Files.readString(CONF.resolve("prometheus.yml")));
    while (m.find()) {
      String r = m.group();
      assertThat(r.startsWith("outpost_proxy_") || r.startsWith("outpost_origin_")).as(r).isTrue();
    }
  }

  // ---- client.yaml ----

  @Test
  void clientExampleUsesOnlyKeysTheCliKnows() throws IOException {
    JsonNode c = YAML.readTree(CONF.resolve("client.yaml").toFile());
    Set<String> keys = new TreeSet<>();
    c.fieldNames().forEachRemaining(keys::add);
    // The outpost CLI's ClientOptions.KEYS (cli module); the commented keys are documented too.
    Set<String> cliKeys = Set.of("server", "token", "tokenFile", "keyFile", "tlsCa", "tlsCert", "tlsKey",
        "parallelism", "readAheadBytes");
    assertThat(cliKeys).containsAll(keys);
    assertThat(keys).contains("server", "tokenFile", "keyFile", "tlsCa");
    String text = Files.readString(CONF.resolve("client.yaml"));
    assertThat(text).contains("# tlsCert:", "# tlsKey:");
    c.fields().forEachRemaining(e -> assertThat(e.getValue().isValueNode()).as(e.getKey()).isTrue());
  }

  // ---- logback.xml ----

  private LoggerContext configure(String format) throws Exception {
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new LogbackMDCAdapter()); // what logback's SLF4J provider sets up for the real context
    ctx.putProperty("OUTPOST_LOG_DIR", dir.toString());
    ctx.putProperty("OUTPOST_LOG_NAME", "proxy");
    if (format != null) {
      ctx.putProperty("OUTPOST_LOG_FORMAT", format);
    }
    JoranConfigurator jc = new JoranConfigurator();
    jc.setContext(ctx);
    jc.doConfigure(CONF.resolve("logback.xml").toFile());
    assertNoWarnings(ctx);
    return ctx;
  }

  /** Logback prints its whole status list at start when any is WARN or worse: a clean config has none. */
  private static void assertNoWarnings(LoggerContext ctx) {
    List<Status> bad = ctx.getStatusManager().getCopyOfStatusList().stream()
        .filter(s -> s.getLevel() >= Status.WARN).toList();
    assertThat(bad).as("logback status warnings/errors").isEmpty();
  }

  @Test
  void logbackWritesTextByDefaultToARollingCompressedCappedFile() throws Exception {
    LoggerContext ctx = configure(null);
    Logger log = ctx.getLogger("dev.outpost.proxy.Test");
    log.info("cache opened at {}", "/var/cache/outpost/proxy");
    var appender = (RollingFileAppender<?>) ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("TEXT-FILE");
    var policy = (SizeAndTimeBasedRollingPolicy<?>) appender.getRollingPolicy();
    String pattern = policy.getFileNamePattern();
    assertNoWarnings(ctx);
    ctx.stop();

    assertThat(pattern).endsWith(".%i.log.gz").contains("%d{yyyy-MM-dd}");
    assertThat(policy.getMaxHistory()).isPositive();
    String xml = Files.readString(CONF.resolve("logback.xml"));
    assertThat(xml).contains("<totalSizeCap>", "<maxFileSize>");
    List<String> lines = Files.readAllLines(dir.resolve("proxy.log"));
    assertThat(lines).singleElement().asString()
        .contains(" INFO ", "dev.outpost.proxy.Test - cache opened at /var/cache/outpost/proxy");
    assertThat(dir.resolve("proxy.json")).doesNotExist();
  }

  @Test
  void logbackWritesOneJsonObjectPerLineWhenAskedTo() throws Exception {
    LoggerContext ctx = configure("json");
    ctx.getLogger("dev.outpost.proxy.Test").warn("origin link {}", "DOWN");
    assertNoWarnings(ctx);
    ctx.stop();

    List<String> lines = Files.readAllLines(dir.resolve("proxy.json"));
    assertThat(lines).singleElement();
    JsonNode event = JSON.readTree(lines.getFirst());
    assertThat(event.get("level").asText()).isEqualTo("WARN");
    assertThat(event.get("loggerName").asText()).isEqualTo("dev.outpost.proxy.Test");
    assertThat(event.get("formattedMessage").asText()).isEqualTo("origin link DOWN");
    assertThat(dir.resolve("proxy.log")).doesNotExist();
  }
}
