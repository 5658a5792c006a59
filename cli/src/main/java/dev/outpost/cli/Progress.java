package dev.outpost.cli;

import java.util.Locale;

/**
 * Import progress: a redrawn bar on a terminal, plain lines otherwise (logs, pipes, tests). Written to stderr so
 * stdout keeps only results.
 */
final class Progress {
  private static final int BAR_WIDTH = 30;
  private final OutpostMain main;
  private final long totalFiles;
  private final long totalBytes;
  private final long startNanos = System.nanoTime();
  private boolean drawn;

  Progress(OutpostMain main, long totalFiles, long totalBytes) {
    this.main = main;
    this.totalFiles = totalFiles;
    this.totalBytes = totalBytes;
  }

  synchronized void show(long files, long bytes, long uploaded) {
    double secs = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    String rate = Bytes.human((long) (bytes / secs)) + "/s";
    if (main.terminal) {
      double f = totalBytes == 0 ? (totalFiles == 0 ? 1 : (double) files / totalFiles) : (double) bytes / totalBytes;
      int filled = (int) Math.round(Math.min(1, f) * BAR_WIDTH);
      main.err.print(String.format(Locale.ROOT, "\r[%s%s] %3.0f%% %d/%d files, %s, %s uploaded, %s   ",
          "#".repeat(filled), " ".repeat(BAR_WIDTH - filled), Math.min(1, f) * 100, files, totalFiles,
          Bytes.human(bytes), Bytes.human(uploaded), rate));
      main.err.flush();
      drawn = true;
    } else {
      main.err.println(String.format(Locale.ROOT, "import: %d/%d files, %s of %s, %s uploaded, %s", files, totalFiles,
          Bytes.human(bytes), Bytes.human(totalBytes), Bytes.human(uploaded), rate));
    }
  }

  synchronized void finish() {
    if (drawn) {
      main.err.println();
    }
  }
}
