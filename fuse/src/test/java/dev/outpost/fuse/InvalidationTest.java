package dev.outpost.fuse;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * Changes made at the origin by another client reach programs in the mount through the change stream, although
 * the kernel may cache attributes for a minute here: only the invalidation can make them visible in time.
 */
class InvalidationTest extends MountFixture {
  /** Far longer than the tests wait: seeing a change before it expires proves it was invalidated. */
  private static final Duration KERNEL_CACHE = Duration.ofSeconds(60);
  private static final Duration PATIENCE = Duration.ofSeconds(15);

  @Override
  MountOptions mountOptions() {
    return MountOptions.DEFAULTS.withKernelCacheTimeout(KERNEL_CACHE);
  }

  @Test
  void aChangeAtTheOriginIsVisibleToCatWithoutWaitingForTheCache() throws Exception {
    client.write("/shared.txt", bytes("short\n"), WriteOptions.DEFAULTS);
    assertThat(sh("cat shared.txt")).isEqualTo("short\n");
    assertThat(sh("stat -c %s shared.txt")).isEqualTo("6\n");

    try (OutpostClient other = TestOrigins.client(origin)) {
      other.write("/shared.txt", bytes("a longer second version\n"), WriteOptions.DEFAULTS);
      // stat(1) opens nothing: only the invalidation can replace the size the kernel cached.
      assertThat(eventually(() -> sh("stat -c %s shared.txt"), "24\n")).isTrue();
      assertThat(eventually(() -> sh("cat shared.txt"), "a longer second version\n")).isTrue();

      other.write("/shared.txt", bytes("3\n"), WriteOptions.DEFAULTS);
      assertThat(eventually(() -> sh("stat -c %s shared.txt"), "2\n")).isTrue();
      assertThat(eventually(() -> sh("cat shared.txt"), "3\n")).isTrue();

      other.write("/appeared.txt", bytes("new\n"), WriteOptions.DEFAULTS);
      assertThat(eventually(() -> sh("ls"), "appeared.txt\nshared.txt\n")).isTrue();

      other.rm("/shared.txt", false);
      assertThat(eventually(() -> shResult("stat shared.txt").output().contains("No such file") ? "gone" : "there",
          "gone")).isTrue();
    }
  }

  @Test
  void aWriteThatLostTheRaceFailsInsteadOfOverwriting() throws Exception {
    client.write("/race.txt", bytes("base\n"), WriteOptions.DEFAULTS);
    Path file = mnt.resolve("race.txt");
    try (OutpostClient other = TestOrigins.client(origin)) {
      FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
      ch.write(ByteBuffer.wrap(bytes("from the mount\n")), 0);
      // Another writer commits after the mount opened the file: the mount's commit at close must not win.
      other.write("/race.txt", bytes("from elsewhere\n"), WriteOptions.DEFAULTS);
      assertThatThrownBy(ch::close).isInstanceOf(IOException.class).hasMessageContaining("Input/output error");
    }
    assertThat(SHELL_READ.apply(client)).isEqualTo("from elsewhere\n");
    assertThat(eventually(() -> sh("cat race.txt"), "from elsewhere\n")).isTrue();
  }

  private static final java.util.function.Function<OutpostClient, String> SHELL_READ = c -> {
    try {
      return ShellToolsTest.read(c, "/race.txt");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  };

  private boolean eventually(Callable<String> probe, String expected) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (true) {
      if (probe.call().equals(expected)) {
        return true;
      }
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(20);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
