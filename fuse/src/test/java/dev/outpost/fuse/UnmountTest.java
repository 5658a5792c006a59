package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The mount goes away cleanly, whichever side ends it, and refuses to stack on a live mount. */
class UnmountTest extends MountFixture {

  @Test
  void awaitUnmountReturnsWhenUnmountedFromOutside() throws Exception {
    sh("printf 'kept\\n' > f.txt");
    CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
      try {
        mount.awaitUnmount();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Process p = new ProcessBuilder("fusermount3", "-u", mnt.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
    waiting.get(30, TimeUnit.SECONDS);
    assertThat(mount.isMounted()).isFalse();
    assertThat(OutpostMount.isMounted(mnt)).isFalse();
    assertThat(client.stat("/f.txt").size()).isEqualTo(5);
  }

  @Test
  void closeUnmountsAndIsIdempotent() throws Exception {
    assertThat(mount.isMounted()).isTrue();
    mount.close();
    mount.close();
    assertThat(OutpostMount.isMounted(mnt)).isFalse();
    mount.awaitUnmount();
  }

  @Test
  void closeCommitsAFileStillOpenAndLeavesNoLibfuseThreadBehind() throws Exception {
    FileChannel open = FileChannel.open(mnt.resolve("open.txt"), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
    open.write(ByteBuffer.wrap("kept at stop\n".getBytes(StandardCharsets.UTF_8)));
    // The descriptor stays open across the stop, so the kernel sends libfuse's loop nothing that would end it.
    mount.close();
    assertThat(OutpostMount.isMounted(mnt)).isFalse();
    // A loop still running now would be served through the upcall stubs jfuse has just freed.
    assertThat(threadsRunning("org.cryptomator.jfuse", "loop")).as("libfuse loops still running").isEmpty();
    // Its close flushes. Answered, it would have been served by a libfuse thread left running after close(),
    // through upcall stubs jfuse has freed; with the session gone the kernel fails it (ENOTCONN).
    assertThatThrownBy(open::close).isInstanceOf(IOException.class);
    try (InputStream in = client.openRead("/open.txt")) {
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("kept at stop\n");
    }
  }

  /** Threads whose stack is now in {@code method} of a class under {@code packagePrefix}. */
  private static List<String> threadsRunning(String packagePrefix, String method) {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> Arrays.stream(e.getValue())
            .anyMatch(f -> f.getClassName().startsWith(packagePrefix) && f.getMethodName().equals(method)))
        .map(e -> e.getKey().getName()).toList();
  }

  @Test
  void aSecondMountOnTheSamePointIsRefused() {
    assertThatThrownBy(() -> OutpostMount.mount(client, mnt, MountOptions.DEFAULTS))
        .isInstanceOf(OutpostException.class)
        .satisfies(e -> assertThat(((OutpostException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("already a mount point");
  }
}
