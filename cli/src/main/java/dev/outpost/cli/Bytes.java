package dev.outpost.cli;

import java.util.Locale;

/** Human-readable byte counts (binary units). */
final class Bytes {
  private Bytes() {}

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  static String ratio(long read, long uploaded) {
    return uploaded == 0 ? (read == 0 ? "n/a" : "inf, all deduplicated")
        : String.format(Locale.ROOT, "%.2fx", (double) read / uploaded);
  }
}
