package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
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
  void aSecondMountOnTheSamePointIsRefused() {
    assertThatThrownBy(() -> OutpostMount.mount(client, mnt, MountOptions.DEFAULTS))
        .isInstanceOf(OutpostException.class)
        .satisfies(e -> assertThat(((OutpostException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("already a mount point");
  }
}
