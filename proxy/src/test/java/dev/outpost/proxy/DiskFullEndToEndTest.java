package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.proxy.admin.AdminFixture;
import dev.outpost.store.SmallFilesystem;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxy cache and origin data on real full filesystems (tmpfs of a few MiB, {@link SmallFilesystem}): nothing about
 * the disk is simulated, the kernel says ENOSPC.
 */
class DiskFullEndToEndTest {
  private static final long MIB = 1 << 20;
  private static final int FILE_BYTES = 1 << 20;

  @TempDir
  Path dir;

  private static byte[] content(int i) {
    byte[] b = new byte[FILE_BYTES];
    new Random(1000 + i).nextBytes(b);
    return b;
  }

  @Test
  void writesToAnOriginOnAFullFilesystemFailNoSpaceNamingNoServerPath() {
    try (SmallFilesystem fs = SmallFilesystem.mountOrSkip(dir.resolve("data"), 24 * MIB);
        LogCapture log = LogCapture.attach();
        AdminFixture f = new AdminFixture(dir, "256MiB")) {
      byte[] kept = content(0);
      f.direct().write("/kept.bin", kept, WriteOptions.DEFAULTS);
      for (Map.Entry<String, OutpostClient> c : List.of(Map.entry("/direct", f.direct()),
          Map.entry("/via-proxy", f.viaProxy()))) {
        OutpostException e = fillUntilFull(c.getValue(), c.getKey());
        assertThat(e.code()).as("%s: %s", c.getKey(), e).isEqualTo(ErrorCode.NO_SPACE);
        assertThat(e.getMessage()).as(c.getKey()).contains("disk is full")
            .doesNotContain(dir.toString()).doesNotContain("EIO");
      }
      // The path is for the server's log, and the origin still serves what it stored.
      assertThat(log.lines()).anyMatch(l -> l.contains(fs.dir().toString()) && l.contains("disk is full"));
      assertThat(AdminFixture.readAll(f.direct(), "/kept.bin")).isEqualTo(kept);
    }
  }

  /** Writes 1 MiB files under {@code dir} until a write fails (at most twice the filesystem's size); the failure. */
  private static OutpostException fillUntilFull(OutpostClient c, String dir) {
    try {
      c.mkdir(dir, true);
      for (int i = 0; i < 48; i++) {
        c.write(dir + "/f" + i + ".bin", content(10_000 + i), WriteOptions.DEFAULTS);
      }
    } catch (OutpostException e) {
      return e;
    }
    throw new AssertionError("48 MiB written to a 24 MiB filesystem without a failure");
  }
}
