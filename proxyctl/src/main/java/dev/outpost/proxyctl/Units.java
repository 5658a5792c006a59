package dev.outpost.proxyctl;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes and rates as people type and read them. Units are binary (1 MB = 1 MiB), as in the proxy's config. */
final class Units {
  private static final Pattern RATE = Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([kmgt]?)(i?b)?(/s)?\\s*");

  private Units() {}

  /**
   * "20MB/s", "512KiB/s", "1.5M", "1048576" → bytes per second; "0" = unlimited.
   *
   * @throws IllegalArgumentException naming the value
   */
  static long parseRate(String s) {
    Matcher m = RATE.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a rate: '" + s + "' (e.g. 20MB/s, 512KiB/s, 0 = unlimited)");
    }
    double v = Double.parseDouble(m.group(1));
    int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "k" -> 10;
      case "m" -> 20;
      case "g" -> 30;
      case "t" -> 40;
      default -> 0;
    };
    double bytes = v * (1L << shift);
    if (bytes > Long.MAX_VALUE / 2) {
      throw new IllegalArgumentException("rate out of range: '" + s + "'");
    }
    return Math.round(bytes);
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[i]);
  }

  /** A point in time for people: UTC to the second, e.g. 2026-12-04T10:00:01Z. */
  static String instant(long epochMillis) {
    return java.time.Instant.ofEpochMilli(epochMillis).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }

  static String duration(long seconds) {
    if (seconds < 0) {
      return "?";
    }
    long h = seconds / 3600;
    long m = seconds % 3600 / 60;
    long s = seconds % 60;
    return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
  }
}
