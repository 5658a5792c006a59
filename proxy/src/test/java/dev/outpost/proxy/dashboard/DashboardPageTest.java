package dev.outpost.proxy.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.proxy.admin.AdminFixture;
import dev.outpost.proxy.dashboard.HeadlessChromium.RenderedPage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard page in headless Chromium, against a stand-in admin API and against a real proxy (with an
 * in-process origin) after real traffic and a warm job: the headline numbers it shows are the
 * ones the API served, formatted for people, and failures (refused token, unreachable proxy, no token) are
 * shown as a plain message rather than stale or empty numbers.
 */
class DashboardPageTest {
  private static final String TOKEN = "test-admin-token_0123456789";
  private static Path chromium;

  @TempDir Path dir;

  @BeforeAll
  static void findChromium() {
    Optional<Path> found = HeadlessChromium.find();
    assumeTrue(found.isPresent(), "chromium is not installed (apt-get install chromium): the dashboard test needs it");
    chromium = found.get();
  }

  @Test
  void headlineNumbersAreTheOnesTheStatusApiServed() throws IOException {
    Path shot = Files.createDirectories(Path.of("target", "dashboard")).resolve("dashboard-fake-api.png");
    Files.deleteIfExists(shot);
    try (FakeAdminApi api = new FakeAdminApi(TOKEN, FakeAdminApi.Mode.OK)) {
      RenderedPage page = HeadlessChromium.load(chromium, api.baseUrl() + "/#token=" + TOKEN, dir, Optional.of(shot));

      // Several polls ran in the virtual 5 s (one every 2 s): the page shows one of the answers, exactly.
      assertThat(api.servedStatus).hasSizeGreaterThanOrEqualTo(2);
      assertThat(page.element("error").hidden()).as("error banner hidden").isTrue();
      long requests = (long) page.element("requests").value();
      JsonNode status = api.servedStatus.stream().filter(s -> s.at("/stats/requests").asLong() == requests)
          .findFirst().orElseThrow(() -> new AssertionError("page shows requests=" + requests + ", never served"));
      assertShows(page, status);

      assertThat(page.element("link-state").attr("class")).contains("connected");
      assertThat(page.element("link-state").text()).isEqualTo("Origin connected");
      assertThat(page.element("link-since").text()).isEqualTo("since " + DashboardText.time(api.linkSinceMillis));
      assertThat(page.element("link-error").hidden()).as("no last error").isTrue();
      assertThat(page.element("origin").text()).isEqualTo("hq.example.com:7070");
      assertThat(page.element("version").text()).isEqualTo("0.1.0-test");

      assertThat(page.element("jobs").attr("data-count")).isEqualTo("3");
      assertThat(page.element("job-w-3").attr("data-state")).isEqualTo("RUNNING");
      assertThat(Double.parseDouble(page.element("job-w-3").attr("data-progress"))).isCloseTo(0.65, within(1e-9));
      assertThat(Double.parseDouble(page.element("job-w-2").attr("data-progress"))).isCloseTo(1.0, within(1e-9));
      assertThat(Double.parseDouble(page.element("job-w-4").attr("data-progress"))).isZero();
      assertThat(page.html()).contains("65.0 % · 81.3 MiB of 125.0 MiB · 1,300 of 2,000 blocks · 31.3 MiB fetched · 12.0 MiB/s · ETA 4 s");
    }
    assertThat(shot).isNotEmptyFile();
    assertThat(Files.readAllBytes(shot)).startsWith(0x89, 'P', 'N', 'G');
  }

  /** Every headline element shows {@code status}'s value, as text for people and as data-value for scripts. */
  static void assertShows(RenderedPage page, JsonNode status) {
    JsonNode st = status.get("stats");
    JsonNode cache = status.get("cache");
    assertThat(page.element("hit-ratio").value()).isEqualTo(st.get("hitRatio").asDouble());
    assertThat(page.element("hit-ratio").text()).isEqualTo(DashboardText.percent(st.get("hitRatio").asDouble()));
    assertThat(page.element("wan-saved").value()).isEqualTo(st.get("wanBytesSaved").asDouble());
    assertThat(page.element("wan-saved").text()).isEqualTo(DashboardText.bytes(st.get("wanBytesSaved").asDouble()));
    assertThat(page.element("bytes-from-cache").text()).isEqualTo(DashboardText.bytes(st.get("bytesFromCache").asDouble()));
    assertThat(page.element("bytes-from-origin").text()).isEqualTo(DashboardText.bytes(st.get("bytesFromOrigin").asDouble()));
    assertThat(page.element("latency-p50").value()).isEqualTo(st.get("latencyP50Millis").asDouble());
    assertThat(page.element("latency-p50").text()).isEqualTo(DashboardText.millis(st.get("latencyP50Millis").asDouble()));
    assertThat(page.element("latency-p99").value()).isEqualTo(st.get("latencyP99Millis").asDouble());
    assertThat(page.element("latency-p99").text()).isEqualTo(DashboardText.millis(st.get("latencyP99Millis").asDouble()));
    assertThat(page.element("invalidations").value()).isEqualTo(st.get("invalidations").asDouble());
    assertThat(page.element("invalidations").text()).isEqualTo(DashboardText.count(st.get("invalidations").asLong()));
    double fill = cache.get("bytes").asDouble() / cache.get("limitBytes").asDouble();
    assertThat(page.element("cache-fill").value()).isCloseTo(fill, within(1e-12));
    assertThat(page.element("cache-fill").text()).isEqualTo(DashboardText.percent(fill));
    assertThat(page.element("cache-bytes").text()).isEqualTo(DashboardText.bytes(cache.get("bytes").asDouble()));
    assertThat(page.element("cache-limit").text()).isEqualTo(DashboardText.bytes(cache.get("limitBytes").asDouble()));
    assertThat(page.element("cache-entries").value()).isEqualTo(cache.get("entries").asDouble());
    String lowered = cache.get("limitReason").asText();
    assertThat(page.element("cache-lowered").hidden()).as("lowered bound shown").isEqualTo(lowered.isEmpty());
    if (!lowered.isEmpty()) {
      assertThat(page.element("cache-lowered").text()).isEqualTo("bound lowered from "
          + DashboardText.bytes(cache.get("configuredLimitBytes").asDouble()) + ": " + lowered);
    }
    assertThat(page.element("link-state").attr("data-value")).isEqualTo(status.at("/link/state").asText());
    assertThat(page.element("link-since").value()).isEqualTo(status.at("/link/sinceMillis").asDouble());
  }

  @Test
  void aLinkDownIsShownWithSinceWhenAndItsLastError() throws IOException {
    try (FakeAdminApi api = new FakeAdminApi(TOKEN, FakeAdminApi.Mode.LINK_DOWN)) {
      RenderedPage page = HeadlessChromium.load(chromium, api.baseUrl() + "/#token=" + TOKEN, dir, Optional.empty());

      assertThat(page.element("error").hidden()).as("the API answered: no error banner").isTrue();
      assertThat(page.element("link-state").attr("data-value")).isEqualTo("DISCONNECTED");
      assertThat(page.element("link-state").attr("class")).contains("disconnected");
      assertThat(page.element("link-state").text()).isEqualTo("Origin disconnected");
      assertThat(page.element("link-since").value()).isEqualTo((double) api.linkSinceMillis);
      assertThat(page.element("link-since").text()).isEqualTo("since " + DashboardText.time(api.linkSinceMillis));
      assertThat(page.element("link-error").hidden()).isFalse();
      assertThat(page.element("link-error").text()).isEqualTo("last error "
          + DashboardText.time(api.linkErrorAtMillis) + ": " + FakeAdminApi.LINK_ERROR);
    }
  }

  @Test
  void showsTheRealProxysStatusAndWarmJob() throws IOException {
    Path shot = Files.createDirectories(Path.of("target", "dashboard")).resolve("dashboard-real-proxy.png");
    Files.deleteIfExists(shot);
    try (AdminFixture f = AdminFixture.start(dir.resolve("proxy"))) {
      f.writeFiles("/w", 6, 100_000, 7);
      try (var c = f.viaProxy()) {
        for (int round = 0; round < 2; round++) { // a cold read (misses, WAN) and a warm one (hits)
          for (int i = 0; i < 6; i++) {
            AdminFixture.readAll(c, "/w/f" + i + ".bin");
          }
        }
      }
      f.snapshot("nightly");
      String id = f.api("POST", "/api/jobs/warm", "{\"snapshot\":\"nightly\",\"paths\":[\"/w\"]}", 201).get("id").asText();
      f.awaitJob(id, 20);

      RenderedPage page = HeadlessChromium.load(chromium,
          "http://" + f.adminHostPort() + "/#token=" + f.adminToken(), dir, Optional.of(shot));
      JsonNode status = f.api("GET", "/api/status", null, 200); // the proxy is idle: what the page saw

      assertThat(page.element("error").hidden()).as(page.element("error").text()).isTrue();
      assertShows(page, status);
      assertThat(status.at("/stats/blockHits").asLong()).isPositive();
      assertThat(status.at("/stats/blockMisses").asLong()).isPositive();
      assertThat(page.element("link-state").text()).isEqualTo("Origin connected");
      assertThat(page.element("job-" + id).attr("data-state")).isEqualTo("DONE");
      assertThat(Double.parseDouble(page.element("job-" + id).attr("data-progress"))).isEqualTo(1.0);
    }
    assertThat(shot).isNotEmptyFile();
  }

  @Test
  void refusedTokenIsShownPlainly() throws IOException {
    try (FakeAdminApi api = new FakeAdminApi(TOKEN, FakeAdminApi.Mode.OK)) {
      RenderedPage page = HeadlessChromium.load(chromium, api.baseUrl() + "/#token=not-the-token", dir, Optional.empty());

      assertThat(page.element("error").hidden()).isFalse();
      assertThat(page.element("error").text()).startsWith("The proxy refused the admin token (HTTP 401).");
      assertThat(page.element("hit-ratio").text()).isEqualTo("—");
      assertThat(api.servedStatus).isEmpty();
    }
  }

  @Test
  void unreachableProxyIsShownPlainly() throws IOException {
    try (FakeAdminApi api = new FakeAdminApi(TOKEN, FakeAdminApi.Mode.DROP_CONNECTION)) {
      RenderedPage page = HeadlessChromium.load(chromium, api.baseUrl() + "/#token=" + TOKEN, dir, Optional.empty());

      assertThat(page.element("error").hidden()).isFalse();
      assertThat(page.element("error").text()).startsWith("Cannot reach the proxy at 127.0.0.1:");
      assertThat(page.element("link-state").attr("data-value")).isEmpty();
    }
  }

  @Test
  void missingTokenAsksForOne() throws IOException {
    try (FakeAdminApi api = new FakeAdminApi(TOKEN, FakeAdminApi.Mode.OK)) {
      RenderedPage page = HeadlessChromium.load(chromium, api.baseUrl() + "/", dir, Optional.empty());

      assertThat(page.element("error").text()).startsWith("No admin token.");
      assertThat(page.element("token-form").hidden()).isFalse();
      assertThat(api.servedStatus).isEmpty();
    }
  }
}
