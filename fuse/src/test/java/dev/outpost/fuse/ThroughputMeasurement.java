package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.client.WriteOptions;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Opt-in measurement ({@code -Doutpost.measure=true}): sequential read and write through the mount with dd(1).
 * Prints dd's own figures; asserts only that the bytes arrived.
 */
class ThroughputMeasurement extends MountFixture {
  private static final int MIB = 1 << 20;
  private static final int FILE_MIB = 256;

  @Test
  void sequentialReadAndWriteWithDd() throws Exception {
    assumeTrue(Boolean.getBoolean("outpost.measure"), "measurement: run with -Doutpost.measure=true");
    Random random = new Random(1);
    client.write("/big.bin", new InputStream() {
      private long left = (long) FILE_MIB * MIB;

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
    }, WriteOptions.DEFAULTS);

    String read = sh("dd if=big.bin of=/dev/null bs=1M 2>&1 | tail -1");
    System.out.println("read through the mount (" + FILE_MIB + " MiB, cold): " + read.strip());
    String reread = sh("dd if=big.bin of=/dev/null bs=1M 2>&1 | tail -1");
    System.out.println("read through the mount again: " + reread.strip());
    String write = sh("dd if=big.bin of=copy.bin bs=1M 2>&1 | tail -1");
    System.out.println("copy inside the mount (read + spool + commit at close): " + write.strip());
    assertThat(client.stat("/copy.bin").size()).isEqualTo((long) FILE_MIB * MIB);
  }
}
