package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.origin.metrics.OriginMetrics;
import org.junit.jupiter.api.Test;

/**
 * Files that are mostly holes, through a real mount: extending one costs O(1) new blocks (one shared zero chunk,
 * index blocks repeated over it), not a stream of zeros through chunking and sealing.
 */
class SparseFileTest extends MountFixture {
  static final long TIB = 1L << 40;
  /** An upload that does not grow with the file: a few index blocks of at most 38 KiB each and tiny chunks. */
  static final long FEW_BLOCKS_BYTES = 256 << 10;

  @Test
  void truncateToOneTebibyteIsQuickUploadsLittleAndAMiddleByteCanBeWritten() throws Exception {
    long before = bytesUploaded();
    Result r = shWithin(HANG_BOUND_SECONDS, "truncate -s 1T f");
    assertThat(r.exitCode()).as("exit code, output: %s", r.output()).isZero();
    assertThat(bytesUploaded() - before).as("bytes uploaded by truncate -s 1T").isLessThan(FEW_BLOCKS_BYTES);
    assertThat(sh("stat -c %s f")).isEqualTo(TIB + "\n");
    assertThat(client.stat("/f").size()).isEqualTo(TIB);
    for (long block : new long[] {0, TIB / 4096 / 3, TIB / 4096 - 1}) {
      sh("dd if=f bs=4096 skip=" + block + " count=1 2>/dev/null | cmp -n 4096 - /dev/zero");
    }

    long middle = TIB / 2 + 12_345;
    before = bytesUploaded();
    r = shWithin(HANG_BOUND_SECONDS, "printf X | dd of=f bs=1 seek=" + middle + " conv=notrunc 2>/dev/null");
    assertThat(r.exitCode()).as("exit code, output: %s", r.output()).isZero();
    assertThat(bytesUploaded() - before).as("bytes uploaded by a one-byte edit").isLessThan(FEW_BLOCKS_BYTES);
    assertThat(sh("stat -c %s f")).isEqualTo(TIB + "\n");
    assertThat(sh("dd if=f bs=1 skip=" + (middle - 3) + " count=7 2>/dev/null | od -An -c | tr -s ' '"))
        .isEqualTo(" \\0 \\0 \\0 X \\0 \\0 \\0\n");
    byte[] around = new byte[1 << 20];
    assertThat(client.read("/f", middle - (1 << 19), around, 0, around.length)).isEqualTo(around.length);
    for (int i = 0; i < around.length; i++) {
      assertThat(around[i]).as("byte %d around the edit", i).isEqualTo(i == 1 << 19 ? (byte) 'X' : 0);
    }
    sh("rm f");
    assertThat(client.statIfExists("/f")).isEmpty();
  }

  @Test
  void aWritePastTheEndLeavesAHoleThatReadsAsZeros() throws Exception {
    long hole = 64L << 30;
    sh("printf 'head' > g");
    long before = bytesUploaded();
    Result r = shWithin(HANG_BOUND_SECONDS, "printf 'tail' | dd of=g bs=1 seek=" + hole + " conv=notrunc 2>/dev/null");
    assertThat(r.exitCode()).as("exit code, output: %s", r.output()).isZero();
    assertThat(bytesUploaded() - before).isLessThan(FEW_BLOCKS_BYTES);
    assertThat(sh("stat -c %s g")).isEqualTo((hole + 4) + "\n");
    assertThat(sh("head -c 4 g")).isEqualTo("head");
    assertThat(sh("tail -c 4 g")).isEqualTo("tail");
    sh("dd if=g bs=1M skip=" + (hole / 2 >> 20) + " count=1 2>/dev/null | cmp -n 1048576 - /dev/zero");
    sh("dd if=g bs=4 skip=1 count=1 2>/dev/null | cmp -n 4 - /dev/zero");
  }

  /** Ciphertext the origin received in PUT_BLOCK so far. */
  long bytesUploaded() {
    return origin.server().metrics().registry().meter(OriginMetrics.BYTES_IN).getCount();
  }
}
