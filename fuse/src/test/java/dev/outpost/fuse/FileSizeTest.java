package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.BlockFormat;
import org.junit.jupiter.api.Test;

/**
 * Sizes at and past the volume's maximum file size (16 TiB, FORMAT.md §4) through a real mount: refused at once
 * with EFBIG, and the mount stays usable.
 */
class FileSizeTest extends MountFixture {
  @Test
  void truncateFarBeyondTheMaximumFailsAtOnceWithEfbig() throws Exception {
    Result r = shWithin(HANG_BOUND_SECONDS, "truncate -s 999999999999999 f");
    assertThat(r.exitCode()).as("exit code, output: %s", r.output()).isNotZero();
    assertThat(r.output()).contains("File too large");
    sh("rm f && ls -a");
    assertThat(client.statIfExists("/f")).isEmpty();
  }

  @Test
  void truncateOfAnExistingFileOneByteBeyondTheMaximumFailsWithEfbig() throws Exception {
    sh("printf 'abc' > g");
    Result r = shWithin(HANG_BOUND_SECONDS, "truncate -s " + (BlockFormat.MAX_FILE_BYTES + 1) + " g");
    assertThat(r.exitCode()).as("exit code, output: %s", r.output()).isNotZero();
    assertThat(r.output()).contains("File too large");
    assertThat(sh("cat g")).isEqualTo("abc");
    assertThat(client.stat("/g").size()).isEqualTo(3);
  }

  @Test
  void aWriteEndingPastTheMaximumFailsWithEfbig() throws Exception {
    // dd seeks to the offset (no data in between) and writes one byte there.
    Result r = shWithin(HANG_BOUND_SECONDS, "printf x | dd of=h bs=1 seek=" + BlockFormat.MAX_FILE_BYTES + " conv=notrunc");
    assertThat(r.exitCode()).as("exit code, output: %s", r.output()).isNotZero();
    assertThat(r.output()).contains("File too large");
    sh("rm -f h");
  }
}
