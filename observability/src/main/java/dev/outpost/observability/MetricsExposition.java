package dev.outpost.observability;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.json.MetricsModule;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * One Dropwizard registry rendered for scrapers: Prometheus text through the maintained exporter (names like
 * {@code outpost_proxy_cache_hits_total}) and the registry as JSON (metrics-json). Thread-safe.
 */
public final class MetricsExposition {
  /** Content type of {@link #prometheusText()}. */
  public static final String PROMETHEUS_CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
  public static final String JSON_CONTENT_TYPE = "application/json";

  private final MetricRegistry registry;
  private final PrometheusRegistry prometheus = new PrometheusRegistry();
  private final PrometheusTextFormatWriter textWriter = PrometheusTextFormatWriter.create();
  private final ObjectWriter jsonWriter = new ObjectMapper()
      .registerModule(new MetricsModule(TimeUnit.SECONDS, TimeUnit.MILLISECONDS, false))
      .writerWithDefaultPrettyPrinter();

  public MetricsExposition(MetricRegistry registry) {
    this.registry = registry;
    DropwizardExports.builder().dropwizardRegistry(registry).register(prometheus);
  }

  /** The Prometheus text exposition of every metric. */
  public byte[] prometheusText() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 << 10);
    try {
      textWriter.write(out, prometheus.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
    return out.toByteArray();
  }

  /** The registry as JSON (rates per second, durations in milliseconds). */
  public byte[] json() {
    try {
      return jsonWriter.writeValueAsBytes(registry);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
