package dev.outpost.observability;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.json.MetricsModule;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One Dropwizard registry rendered for scrapers: Prometheus text through the maintained exporter (names like
 * {@code outpost_proxy_cache_hits_total}) and the registry as JSON (metrics-json). {@link LabelledGauge}s, which
 * the exporter cannot map (it would emit one family per label value, a duplicate name), are written here as one
 * gauge with a labelled sample per value. Thread-safe.
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
    DropwizardExports.builder().dropwizardRegistry(registry)
        .metricFilter((name, metric) -> !(metric instanceof LabelledGauge)).register(prometheus);
    prometheus.register((MultiCollector) this::labelledGauges);
  }

  private MetricSnapshots labelledGauges() {
    MetricSnapshots.Builder all = MetricSnapshots.builder();
    registry.getGauges((name, metric) -> metric instanceof LabelledGauge).forEach((name, metric) -> {
      LabelledGauge g = (LabelledGauge) metric;
      GaugeSnapshot.Builder family = GaugeSnapshot.builder().name(PrometheusNaming.sanitizeMetricName(name))
          .help("Generated from Dropwizard metric import (metric=" + name + ", one sample per " + g.label() + ")");
      new TreeMap<>(g.getValue()).forEach((value, n) -> family.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
          .labels(Labels.of(g.label(), value)).value(n).build()));
      all.metricSnapshot(family.build());
    });
    return all.build();
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
