package dev.outpost.observability;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** The registry operations every component's metrics class needs; Dropwizard stays behind those classes. */
public final class Registries {
  private Registries() {}

  /** Registers (or replaces) a gauge read on demand. */
  public static void gauge(MetricRegistry registry, String name, LongSupplier value) {
    registry.remove(name);
    registry.register(name, (Gauge<Long>) value::getAsLong);
  }

  /** Registers (or replaces) a {@link LabelledGauge}: one gauge per value of {@code label}, read on demand. */
  public static void labelledGauge(MetricRegistry registry, String name, String label,
      Supplier<Map<String, Long>> values) {
    registry.remove(name);
    registry.register(name, new LabelledGauge(label, values));
  }

  /** The count of a counter, meter or timer by name, or a numeric gauge's value; 0 if absent. */
  public static long count(MetricRegistry registry, String name) {
    var m = registry.getMetrics().get(name);
    return switch (m) {
      case null -> 0;
      case Counter c -> c.getCount();
      case Meter mt -> mt.getCount();
      case Timer t -> t.getCount();
      case Gauge<?> g -> g.getValue() instanceof Number n ? n.longValue() : 0;
      default -> 0;
    };
  }
}
