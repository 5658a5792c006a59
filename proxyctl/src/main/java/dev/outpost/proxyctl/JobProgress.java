package dev.outpost.proxyctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Shows a warm job's progress: on a terminal one bar redrawn in place; otherwise a plain line when something
 * changed (at most every few seconds), so logs of a nightly timer stay short.
 */
final class JobProgress {
  static final int BAR_WIDTH = 28;
  static final long PLAIN_EVERY_NANOS = 5_000_000_000L;

  private final PrintStream out;
  private final boolean terminal;
  private String lastLine = "";
  private long lastPlainNanos;
  private boolean drew;

  JobProgress(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  void update(JsonNode job, boolean finished) {
    String line = line(job);
    if (terminal) {
      out.print("\r" + bar(job) + " " + line + "\033[K");
      if (finished) {
        out.println();
      }
      out.flush();
      drew = true;
      return;
    }
    long now = System.nanoTime();
    if (!line.equals(lastLine) && (finished || lastLine.isEmpty() || now - lastPlainNanos >= PLAIN_EVERY_NANOS)) {
      out.println(job.path("id").asText() + " " + job.path("state").asText() + " " + line);
      lastLine = line;
      lastPlainNanos = now;
    }
  }

  /** Fraction of the listed bytes done (present, fetched or failed). */
  static double fraction(JsonNode job) {
    long total = job.path("bytesTotal").asLong();
    if (total <= 0) {
      return job.path("state").asText().equals("DONE") ? 1 : 0;
    }
    long done = job.path("bytesPresent").asLong() + job.path("bytesFetched").asLong();
    return Math.min(1, (double) done / total);
  }

  static String bar(JsonNode job) {
    int filled = (int) Math.round(fraction(job) * BAR_WIDTH);
    return "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "]";
  }

  static String line(JsonNode job) {
    long blocks = job.path("blocksPresent").asLong() + job.path("blocksFetched").asLong();
    return String.format(Locale.ROOT, "%3.0f%%  %s / %s  %d / %d blocks  %d dirs  %s/s  ETA %s",
        fraction(job) * 100, Units.bytes(job.path("bytesPresent").asLong() + job.path("bytesFetched").asLong()),
        Units.bytes(job.path("bytesTotal").asLong()), blocks, job.path("blocksTotal").asLong(),
        job.path("dirsListed").asLong(), Units.bytes(job.path("rateBytesPerSecNow").asLong()),
        Units.duration(job.path("etaSeconds").asLong()));
  }

  void summary(JsonNode job) {
    if (terminal && !drew) {
      out.println();
    }
    out.printf(Locale.ROOT, "%s %s: %,d blocks (%s) already present, %,d (%s) fetched, %,d failed; directories"
        + " listed: %,d%n", job.path("id").asText(), job.path("state").asText(), job.path("blocksPresent").asLong(),
        Units.bytes(job.path("bytesPresent").asLong()), job.path("blocksFetched").asLong(),
        Units.bytes(job.path("bytesFetched").asLong()), job.path("blocksFailed").asLong(),
        job.path("dirsListed").asLong());
  }
}
