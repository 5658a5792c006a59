package dev.outpost.observability;

import com.codahale.metrics.Gauge;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A family of gauges told apart by one label: {@code outpost.proxy.link.state} with {@code state} =
 * connected / degraded / … exposes {@code outpost_proxy_link_state{state="connected"} 1} and so on. Dropwizard
 * has no labels, so the family is one Dropwizard gauge whose value is the map label value → number (what the
 * JSON exposition shows) and {@link MetricsExposition} writes it as one Prometheus gauge with a sample per
 * entry. Register it with {@link Registries#labelledGauge}.
 *
 * @param label the label's name ({@code state})
 * @param values label value → current value, read on every scrape; keep the key set fixed
 */
public record LabelledGauge(String label, Supplier<Map<String, Long>> values) implements Gauge<Map<String, Long>> {
  @Override
  public Map<String, Long> getValue() {
    return values.get();
  }
}
