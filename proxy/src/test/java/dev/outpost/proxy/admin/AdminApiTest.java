package dev.outpost.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.proxy.warm.JobState;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin HTTP API of a real proxy in front of a real origin. */
class AdminApiTest {
  /** A Prometheus text-format sample line: name, optional labels, a value, an optional timestamp. */
  private static final Pattern SAMPLE = Pattern.compile(
      "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})? "
          + "([-+]?[0-9.]+([eE][-+]?[0-9]+)?|NaN|[-+]Inf)( -?[0-9]+)?");

  @TempDir
  Path dir;

  @Test
  void everyApiRequestNeedsTheBearerTokenWhichIsGeneratedPrivate() throws Exception {
    try (AdminFixture f = AdminFixture.start(dir)) {
      assertThat(Files.getPosixFilePermissions(f.adminTokenFile))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
      assertThat(f.adminToken()).hasSizeGreaterThanOrEqualTo(AdminToken.MIN_CHARS);
      for (String path : List.of("/api/status", "/api/jobs", "/api/metrics", "/api/nothing")) {
        HttpResponse<String> none = f.http("GET", path, null, null);
        assertThat(none.statusCode()).as(path).isEqualTo(401);
        assertThat(none.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(none.body()).contains("\"error\"").contains("UNAUTHORIZED");
        assertThat(f.http("GET", path, null, f.adminToken() + "x").statusCode()).isEqualTo(401);
      }
      assertThat(f.http("POST", "/api/evict", "{\"all\":true}", "wrong-token-wrong-token").statusCode()).isEqualTo(401);
      assertThat(f.http("GET", "/api/status", null, f.adminToken()).statusCode()).isEqualTo(200);

      // The same token is read again at the next start.
      String token = f.adminToken();
      f.stopProxy();
      f.startProxy();
      assertThat(f.adminToken()).isEqualTo(token);
      assertThat(f.http("GET", "/api/status", null, token).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void statusHasEveryContractFieldAndCountsTraffic() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      f.writeFiles("/d", 2, 100_000, 5);
      var c = f.viaProxy();
      AdminFixture.readAll(c, "/d/f0.bin");
      AdminFixture.readAll(c, "/d/f0.bin");
      JsonNode s = f.api("GET", "/api/status", null, 200);
      assertThat(s.get("version").asText()).isEqualTo(ProxyAdmin.VERSION);
      assertThat(s.get("uptimeSeconds").isIntegralNumber()).isTrue();
      assertThat(s.at("/link/state").asText()).isEqualTo("CONNECTED");
      assertThat(s.at("/link/sinceMillis").asLong()).isPositive().isLessThanOrEqualTo(System.currentTimeMillis());
      assertThat(s.get("link").has("lastError")).isTrue();
      assertThat(s.get("link").has("lastErrorAtMillis")).isTrue();
      assertThat(s.at("/link/origin").asText()).isEqualTo("127.0.0.1:" + f.origin.address().getPort());
      for (String field : List.of("bytes", "entries", "limitBytes", "configuredLimitBytes", "limitReason",
          "pinnedBytes")) {
        assertThat(s.get("cache").has(field)).as(field).isTrue();
      }
      assertThat(s.at("/cache/limitBytes").asLong()).isEqualTo(256L << 20);
      assertThat(s.at("/cache/configuredLimitBytes").asLong()).isEqualTo(256L << 20);
      assertThat(s.at("/cache/limitReason").asText()).as("a bound not lowered").isEmpty();
      assertThat(s.at("/cache/entries").asLong()).isPositive();
      for (String field : List.of("seq", "lag", "live")) {
        assertThat(s.get("subscription").has(field)).as(field).isTrue();
      }
      JsonNode st = s.get("stats");
      for (String field : List.of("requests", "blockHits", "blockMisses", "hitRatio", "bytesFromCache",
          "bytesFromOrigin", "wanBytesSaved", "latencyP50Millis", "latencyP99Millis", "invalidations")) {
        assertThat(st.has(field)).as(field).isTrue();
      }
      assertThat(st.get("requests").asLong()).isPositive();
      assertThat(st.get("blockHits").asLong()).isPositive();
      assertThat(st.get("blockMisses").asLong()).isPositive();
      assertThat(st.get("hitRatio").asDouble()).isBetween(0.01, 0.99);
      assertThat(st.get("bytesFromOrigin").asLong()).isGreaterThan(100_000);
      assertThat(st.get("latencyP99Millis").asDouble()).isPositive()
          .isGreaterThanOrEqualTo(st.get("latencyP50Millis").asDouble());
      assertThat(st.get("wanBytesSaved").asLong()).isEqualTo(st.get("bytesFromCache").asLong()).isGreaterThan(100_000);

      JsonNode metrics = f.api("GET", "/api/metrics", null, 200);
      assertThat(metrics.at("/counters/outpost.proxy.cache.hits/count").asLong()).isPositive();
      assertThat(metrics.has("gauges")).isTrue();
    }
  }

  @Test
  void prometheusEndpointServesParseableTextWithProxyMetrics() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      f.writeFiles("/p", 1, 50_000, 6);
      AdminFixture.readAll(f.viaProxy(), "/p/f0.bin");
      HttpResponse<String> r = f.http("GET", "/metrics", null, null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
      String body = r.body();
      assertThat(body).contains("outpost_proxy_cache_misses", "outpost_proxy_cache_entries",
          "outpost_proxy_link_state");
      int samples = 0;
      for (String line : body.split("\n")) {
        if (line.isEmpty()) {
          continue;
        }
        if (line.startsWith("#")) {
          assertThat(line).matches("# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*");
          continue;
        }
        assertThat(line).matches(SAMPLE);
        samples++;
      }
      assertThat(samples).isGreaterThan(20);
      assertThat(body).containsPattern("(?m)^outpost_proxy_cache_misses_total [1-9]");
    }
  }

  @Test
  void jobsPathOpsAndErrorsOverHttp() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      f.writeFiles("/w", 3, 200_000, 8);
      JsonNode err = f.api("POST", "/api/jobs/warm", "{\"snapshot\":\"nope\",\"paths\":[\"/w\"]}", 404);
      assertThat(err.get("error").asText()).contains("no snapshot 'nope'");
      f.api("POST", "/api/jobs/warm", "{\"snapshot\":\"\",\"paths\":[\"w\"]}", 400);
      f.api("POST", "/api/jobs/warm", "{\"snapshot\":\"\",\"pathz\":[\"/w\"]}", 400);
      f.api("POST", "/api/jobs/warm", "not json", 400);
      f.api("POST", "/api/jobs/warm", "{\"snapshot\":\"\",\"rateBytesPerSec\":\"fast\"}", 400);
      f.api("GET", "/api/jobs/warm", null, 405);
      f.api("GET", "/api/jobs/warm-999", null, 404);

      JsonNode job = f.api("POST", "/api/jobs/warm", "{\"snapshot\":\"\",\"paths\":[\"/w\"],\"pin\":true}", 201);
      for (String field : List.of("id", "kind", "state", "snapshot", "paths", "pin", "rateBytesPerSec", "blocksTotal",
          "blocksPresent", "blocksFetched", "blocksFailed", "bytesTotal", "bytesPresent", "bytesFetched",
          "dirsListed", "rateBytesPerSecNow", "etaSeconds", "startedAtMillis", "finishedAtMillis", "error")) {
        assertThat(job.has(field)).as(field).isTrue();
      }
      assertThat(job.get("kind").asText()).isEqualTo("warm");
      String id = job.get("id").asText();
      f.awaitJob(id, 60);
      JsonNode done = f.api("GET", "/api/jobs/" + id, null, 200);
      assertThat(AdminFixture.state(done)).isEqualTo(JobState.DONE);
      long blocks = done.get("blocksTotal").asLong();
      assertThat(done.get("blocksFetched").asLong()).isEqualTo(blocks);
      assertThat(done.get("dirsListed").asLong()).as("/w, a directory without subdirectories").isEqualTo(1);
      assertThat(f.api("GET", "/api/jobs", null, 200).findValuesAsText("id")).contains(id);
      assertThat(AdminFixture.state(f.api("POST", "/api/jobs/" + id + "/cancel", null, 200))).isEqualTo(JobState.DONE);

      JsonNode status = f.api("GET", "/api/status", null, 200);
      assertThat(status.at("/cache/pinnedBytes").asLong()).isEqualTo(done.get("bytesTotal").asLong());

      assertThat(f.api("POST", "/api/evict", "{\"path\":\"/w\"}", 200).get("blocks").asLong()).isZero();
      JsonNode unpinned = f.api("POST", "/api/unpin", "{\"path\":\"/w\"}", 200);
      assertThat(unpinned.get("blocks").asLong()).isEqualTo(blocks);
      assertThat(unpinned.get("bytes").asLong()).isEqualTo(done.get("bytesTotal").asLong());
      assertThat(f.api("POST", "/api/pin", "{\"path\":\"/w/f0.bin\"}", 200).get("blocks").asLong()).isPositive();
      JsonNode evicted = f.api("POST", "/api/evict", "{\"all\":true}", 200);
      assertThat(evicted.get("blocks").asLong()).isPositive().isLessThan(blocks);
      assertThat(evicted.get("bytes").asLong()).isPositive();
      f.api("POST", "/api/evict", "{}", 400);
      f.api("POST", "/api/evict", "{\"all\":true,\"path\":\"/w\"}", 400);
      f.api("POST", "/api/pin", "{\"path\":\"/nowhere\"}", 404);

      var client = f.viaProxy();
      client.list("/w");
      client.stat("/w/f1.bin");
      JsonNode inv = f.api("POST", "/api/invalidate", "{\"path\":\"/w\"}", 200);
      assertThat(inv.get("attributes").asLong()).isPositive();
      assertThat(inv.get("blocks").asLong()).isZero();
    }
  }

  @Test
  void dashboardFilesAreServedWithoutAuthAndNothingElse() {
    try (AdminFixture f = AdminFixture.start(dir)) {
      HttpResponse<String> js = f.http("GET", "/dashboard/static-test.js", null, null);
      assertThat(js.statusCode()).isEqualTo(200);
      assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
      assertThat(js.body()).contains("admin static test fixture");
      for (String bad : List.of("/dashboard/../admin/AdminServer.class", "/dashboard/%2e%2e/AdminServer.class",
          "/dashboard/.hidden", "/dashboard//etc/passwd", "/dashboard/nope.js", "/logback.xml",
          "/dev/outpost/proxy/admin/AdminServer.class", "/dashboard/..%2fAdminServer.class")) {
        assertThat(f.http("GET", bad, null, null).statusCode()).as(bad).isEqualTo(404);
      }
      assertThat(f.http("POST", "/dashboard/static-test.js", "{}", null).statusCode()).isEqualTo(405);
    }
  }
}
