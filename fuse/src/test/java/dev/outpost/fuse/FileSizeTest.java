package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.BlockFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Sizes at and past the volume's maximum file size (16 TiB, FORMAT.md §4) through a real mount: refused at once
 * with EFBIG, and the mount stays usable.
 */
class FileSizeTest extends MountFixture {
  /** Only keeps a hang from passing: the refusal needs no work at all. */
  static final long HANG_BOUND_SECONDS = 20;

  @Test
  void truncateFarBeyondTheMaximumFailsAtOnceWithEfbig() throws Exception {
    Result r = run("truncate -s 999999999999999 f");
    assertThat(r.exitCode()).as("exit code, output: %s", r.output()).isNotZero();
    assertThat(r.output()).contains("File too large");
    sh("rm f && ls -a");
    assertThat(client.statIfExists("/f")).isEmpty();
  }

  @Test
  void truncateOfAnExistingFileOneByteBeyondTheMaximumFailsWithEfbig() throws Exception {
    sh("printf 'abc' > g");
    Result r = run("truncate -s " + (BlockFormat.MAX_FILE_BYTES + 1) + " g");
    assertThat(r.exitCode()).as("exit code, output: %s", r.output()).isNotZero();
    assertThat(r.output()).contains("File too large");
    assertThat(sh("cat g")).isEqualTo("abc");
    assertThat(client.stat("/g").size()).isEqualTo(3);
  }

  @Test
  void aWriteEndingPastTheMaximumFailsWithEfbig() throws Exception {
    // dd seeks to the offset (no data in between) and writes one byte there.
    Result r = run("printf x | dd of=h bs=1 seek=" + BlockFormat.MAX_FILE_BYTES + " conv=notrunc");
    assertThat(r.exitCode()).as("exit code, output: %s", r.output()).isNotZero();
    assertThat(r.output()).contains("File too large");
    sh("rm -f h");
  }

  /**
   * Runs {@code sh -c script} in the mount, output to a file so that a process stuck in the kernel cannot block
   * the test; fails if it has not ended within {@link #HANG_BOUND_SECONDS}.
   */
  Result run(String script) throws Exception {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Process p = new ProcessBuilder(List.of("sh", "-c", script)).directory(mnt.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    p.getOutputStream().close();
    if (!p.waitFor(HANG_BOUND_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("`" + script + "` did not finish within " + HANG_BOUND_SECONDS + " s");
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }
}
