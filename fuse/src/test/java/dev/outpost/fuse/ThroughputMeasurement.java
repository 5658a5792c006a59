package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.client.WriteOptions;
import io.netty.util.ResourceLeakDetector;
import java.io.InputStream;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Opt-in measurement ({@code -Doutpost.measure=true}): sequential read and write through the mount with dd(1).
 * Each round reads the same file through the library (same client, same JVM) and then through the mount, so the
 * ratio of the two holds even on a busy machine. Prints the figures; asserts only that the bytes arrived.
 * {@code -Doutpost.measure.rounds=N} (default 4).
 */
class ThroughputMeasurement extends MountFixture {
  private static final int MIB = 1 << 20;
  private static final int FILE_MIB = 256;
  private static final long FILE_BYTES = (long) FILE_MIB * MIB;
  private static final Pattern DD_SECONDS = Pattern.compile("copied, ([0-9.]+) s");

  @Test
  void sequentialReadAndWriteWithDd() throws Exception {
    assumeTrue(Boolean.getBoolean("outpost.measure"), "measurement: run with -Doutpost.measure=true");
    // Tests run with PARANOID leak detection (a stack trace per buffer access); a mount runs with Netty's default.
    ResourceLeakDetector.Level testLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
    try {
      measure();
    } finally {
      ResourceLeakDetector.setLevel(testLevel);
    }
  }

  private void measure() throws Exception {
    client.write("/big.bin", randomContent(new Random(1)), WriteOptions.DEFAULTS);
    int rounds = Integer.getInteger("outpost.measure.rounds", 4);
    byte[] buf = new byte[MIB];
    for (int round = 1; round <= rounds; round++) {
      long t0 = System.nanoTime();
      long n = 0;
      try (InputStream in = client.openRead("/big.bin")) {
        int k;
        while ((k = in.read(buf)) > 0) {
          n += k;
        }
      }
      double librarySeconds = (System.nanoTime() - t0) / 1e9;
      assertThat(n).isEqualTo(FILE_BYTES);
      String dd = sh("dd if=big.bin of=/dev/null bs=1M 2>&1 | tail -1").strip();
      double libraryMbps = FILE_BYTES / librarySeconds / 1e6;
      double mountMbps = FILE_BYTES / ddSeconds(dd) / 1e6;
      System.out.printf(Locale.ROOT, "round %d (%d MiB): library %.0f MB/s, mount (dd bs=1M) %.0f MB/s = %.0f %%%n",
          round, FILE_MIB, libraryMbps, mountMbps, 100 * mountMbps / libraryMbps);
    }
    String write = sh("dd if=big.bin of=copy.bin bs=1M 2>&1 | tail -1");
    System.out.println("copy inside the mount (read + spool + commit at close): " + write.strip());
    assertThat(client.stat("/copy.bin").size()).isEqualTo(FILE_BYTES);
  }

  private static double ddSeconds(String ddSummary) {
    Matcher m = DD_SECONDS.matcher(ddSummary);
    assertThat(m.find()).as("dd summary: %s", ddSummary).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static InputStream randomContent(Random random) {
    return new InputStream() {
      private long left = FILE_BYTES;

      @Override
      public int read() {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left == 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        byte[] chunk = new byte[n];
        random.nextBytes(chunk);
        System.arraycopy(chunk, 0, b, off, n);
        left -= n;
        return n;
      }
    };
  }
}
