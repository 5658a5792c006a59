package dev.outpost.proxy.dashboard;

import java.util.Locale;

/**
 * How app.js formats numbers (fmtBytes, fmtPercent, fmtMillis, fmtCount), restated so a test can say what text a
 * value must show as. Test values avoid rounding ties, where JavaScript's toFixed and Java's formatter may differ.
 */
final class DashboardText {
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

  private DashboardText() {}

  static String bytes(double n) {
    double v = Math.abs(n);
    int u = 0;
    while (v >= 1024 && u < UNITS.length - 1) {
      v /= 1024;
      u++;
    }
    String s = u == 0 ? Long.toString(Math.round(v)) : String.format(Locale.ROOT, "%.1f", v);
    return (n < 0 ? "-" : "") + s + " " + UNITS[u];
  }

  static String percent(double ratio) {
    return String.format(Locale.ROOT, "%.1f %%", ratio * 100);
  }

  static String millis(double ms) {
    if (ms >= 10_000) {
      return String.format(Locale.ROOT, "%.1f s", ms / 1000);
    }
    if (ms >= 100) {
      return Math.round(ms) + " ms";
    }
    return String.format(Locale.ROOT, ms >= 1 ? "%.1f ms" : "%.2f ms", ms);
  }

  /** fmtTime: the time of day (en-GB, 24 h) in this JVM's zone (the browser's too), the date first if not today. */
  static String time(long epochMillis) {
    java.time.ZonedDateTime t = java.time.Instant.ofEpochMilli(epochMillis).atZone(java.time.ZoneId.systemDefault());
    String time = t.format(java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss"));
    return t.toLocalDate().equals(java.time.LocalDate.now()) ? time
        : t.format(java.time.format.DateTimeFormatter.ofPattern("dd/MM/yyyy")) + " " + time;
  }

  static String count(long n) {
    return String.format(Locale.US, "%,d", n);
  }
}
