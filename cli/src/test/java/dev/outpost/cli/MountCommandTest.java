package dev.outpost.cli;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `outpost mount` in-process on a real FUSE mount against a real origin; skipped where FUSE is absent. */
@Timeout(120)
class MountCommandTest {
  @Test
  void mountServesTheVolumeAndReturnsZeroWhenUnmountedFromOutside(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is absent: no FUSE on this machine");
    assumeTrue(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libfuse3.so.3")), "libfuse3 is not installed");
    try (EmbeddedOrigin origin = EmbeddedOrigin.start(dir.resolve("origin"), TestOrigins.VOLUME)) {
      Path token = dir.resolve("token");
      Files.writeString(token, origin.adminToken() + "\n");
      String[] conn = {"--token-file", token.toString(), "--key-file", origin.keyFile().toString()};
      Path src = dir.resolve("hello.txt");
      Files.writeString(src, "hello through FUSE\n");
      assertThat(run("put", src.toString(), "/hello.txt", "--server", origin.address(), conn[0], conn[1], conn[2], conn[3]))
          .isZero();

      Path mnt = Files.createDirectory(dir.resolve("mnt"));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CompletableFuture<Integer> mounted = CompletableFuture.supplyAsync(() -> new OutpostMain(
          new PrintStream(out, true, StandardCharsets.UTF_8), System.err, false)
          .run("mount", origin.address(), mnt.toString(), "--read-only", conn[0], conn[1], conn[2], conn[3]));
      try {
        Path file = mnt.resolve("hello.txt");
        for (int i = 0; i < 200 && !Files.exists(file); i++) {
          assertThat(mounted).as("mount ended early: %s", out).isNotDone();
          Thread.sleep(50);
        }
        assertThat(Files.readString(file)).isEqualTo("hello through FUSE\n");
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("mounted", "(read-only)");
      } finally {
        new ProcessBuilder("fusermount3", "-u", mnt.toString()).inheritIO().start().waitFor(20, TimeUnit.SECONDS);
      }
      assertThat(mounted.get(30, TimeUnit.SECONDS)).isZero();
    }
  }

  @Test
  void aStopTimeoutOutOfRangeIsAUsageError() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new OutpostMain(System.out, new PrintStream(err, true, StandardCharsets.UTF_8), false)
        .run("mount", "127.0.0.1:1", "/nonexistent", "--stop-timeout", "3601", "--token", "t", "--key-file", "k");
    assertThat(code).isEqualTo(OutpostMain.EXIT_USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--stop-timeout: 3601 is not valid (expected 0..3600 seconds)");
  }

  private static int run(String... args) {
    return new OutpostMain(System.out, System.err, false).run(args);
  }
}
