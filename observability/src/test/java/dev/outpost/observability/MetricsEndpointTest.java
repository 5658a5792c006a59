package dev.outpost.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
  @Test
  void servesPrometheusTextAndJsonOfTheSameRegistry() throws Exception {
    MetricRegistry registry = new MetricRegistry();
    registry.counter("outpost.test.cache.hits").inc(7);
    registry.timer("outpost.test.latency").update(java.time.Duration.ofMillis(3));
    try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry, "t-metrics");
        HttpClient http = HttpClient.newHttpClient()) {
      String base = "http://127.0.0.1:" + endpoint.address().getPort();
      HttpResponse<String> text = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(text.statusCode()).isEqualTo(200);
      assertThat(text.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
      assertThat(text.body()).contains("outpost_test_cache_hits_total 7.0", "outpost_test_latency");
      for (String line : text.body().split("\n")) {
        assertThat(line.isEmpty() || line.startsWith("#") || line.matches("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})? \\S+"))
            .as("exposition line %s", line).isTrue();
      }
      HttpResponse<String> json = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics.json")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(json.statusCode()).isEqualTo(200);
      assertThat(json.body()).contains("\"outpost.test.cache.hits\"", "\"count\" : 7");
      HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics/x")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).isEqualTo(404);
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
    }
  }

  @Test
  void aLabelledGaugeIsOneFamilyWithASamplePerLabelValue() {
    MetricRegistry registry = new MetricRegistry();
    java.util.concurrent.atomic.AtomicReference<String> state = new java.util.concurrent.atomic.AtomicReference<>("up");
    Registries.labelledGauge(registry, "outpost.test.link.state", "state",
        () -> java.util.Map.of("up", state.get().equals("up") ? 1L : 0L, "down", state.get().equals("down") ? 1L : 0L));
    registry.counter("outpost.test.other").inc();
    MetricsExposition exposition = new MetricsExposition(registry);

    String text = new String(exposition.prometheusText(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(text).containsOnlyOnce("# TYPE outpost_test_link_state gauge")
        .contains("outpost_test_link_state{state=\"up\"} 1.0", "outpost_test_link_state{state=\"down\"} 0.0",
            "outpost_test_other_total 1.0");
    state.set("down");
    text = new String(exposition.prometheusText(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(text).contains("outpost_test_link_state{state=\"up\"} 0.0", "outpost_test_link_state{state=\"down\"} 1.0");
    assertThat(new String(exposition.json(), java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"outpost.test.link.state\"", "\"down\" : 1");
    assertThat(Registries.count(registry, "outpost.test.link.state")).isZero(); // not a number: no count
  }
}
