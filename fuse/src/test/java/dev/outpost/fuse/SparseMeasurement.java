package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.origin.metrics.OriginMetrics;
import io.netty.util.ResourceLeakDetector;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Opt-in measurement ({@code -Doutpost.measure=true}): {@code truncate -s 1T} of a new file and a one-byte
 * {@code dd} into the middle of it through the mount, timed around the whole program (fork, open, ftruncate or
 * write, close with its commit). Prints the figures; asserts only the sizes. {@code -Doutpost.measure.rounds=N}
 * (default 5).
 */
class SparseMeasurement extends MountFixture {
  private static final long TIB = 1L << 40;

  @Test
  void truncateToOneTebibyteAndEditItsMiddle() throws Exception {
    assumeTrue(Boolean.getBoolean("outpost.measure"), "measurement: run with -Doutpost.measure=true");
    ResourceLeakDetector.Level testLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
    try {
      int rounds = Integer.getInteger("outpost.measure.rounds", 5);
      for (int round = 1; round <= rounds; round++) {
        String name = "sparse-" + round;
        long up0 = uploaded();
        long t0 = System.nanoTime();
        sh("truncate -s 1T " + name);
        double truncateMs = (System.nanoTime() - t0) / 1e6;
        long up1 = uploaded();
        long t1 = System.nanoTime();
        sh("printf X | dd of=" + name + " bs=1 seek=" + (TIB / 2 + round) + " conv=notrunc 2>/dev/null");
        double editMs = (System.nanoTime() - t1) / 1e6;
        long up2 = uploaded();
        assertThat(client.stat("/" + name).size()).isEqualTo(TIB);
        System.out.printf(Locale.ROOT, "round %d: truncate -s 1T %.0f ms (%d B uploaded), one-byte dd in the middle"
            + " %.0f ms (%d B uploaded)%n", round, truncateMs, up1 - up0, editMs, up2 - up1);
      }
    } finally {
      ResourceLeakDetector.setLevel(testLevel);
    }
  }

  private long uploaded() {
    return origin.server().metrics().registry().meter(OriginMetrics.BYTES_IN).getCount();
  }
}
