package dev.outpost.proxyctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.proxy.admin.AdminFixture;
import dev.outpost.store.SmallFilesystem;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code proxyctl status} of a proxy whose cache filled its filesystem (a real 16 MiB tmpfs). */
class ProxyCtlDiskFullTest {
  @TempDir
  Path dir;

  private static String ctl(AdminFixture f, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 4];
    all[0] = "--admin";
    all[1] = f.adminHostPort();
    all[2] = "--token-file";
    all[3] = f.adminTokenFile.toString();
    System.arraycopy(args, 0, all, 4, args.length);
    int code = ProxyCtl.run(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false, 50, all);
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void statusShowsTheLoweredBoundAndWhy() throws Exception {
    try (SmallFilesystem fs = SmallFilesystem.mountOrSkip(dir.resolve("cache"), 16L << 20);
        AdminFixture f = new AdminFixture(dir, "1GiB")) {
      f.writeFiles("/big", 32, 1 << 20, 3);
      f.awaitProxyCaughtUp();
      var c = f.viaProxy();
      for (int i = 0; i < 32; i++) {
        AdminFixture.readAll(c, "/big/f" + i + ".bin");
      }
      f.proxy.cache().flushed().join();

      JsonNode cache = new ObjectMapper().readTree(ctl(f, "status", "--json")).path("cache");
      assertThat(cache.path("limitBytes").asLong()).isPositive().isLessThan(16L << 20);
      assertThat(cache.path("configuredLimitBytes").asLong()).isEqualTo(1L << 30);
      String human = ctl(f, "status");
      assertThat(human).contains("of " + Units.bytes(cache.path("limitBytes").asLong()))
          .contains("bound lowered from 1.0 GiB").contains("filesystem full");
    }
  }
}
