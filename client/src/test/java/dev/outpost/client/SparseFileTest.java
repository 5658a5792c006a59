package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files at the volume's maximum size, and files made mostly of zeros, through a real origin. */
class SparseFileTest {
  /** Only keeps a hang from passing. */
  static final Duration HANG_BOUND = Duration.ofSeconds(20);

  @TempDir
  static Path dir;
  static EmbeddedOrigin origin;
  static OutpostClient client;

  @BeforeAll
  static void start() {
    origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
    client = TestOrigins.client(origin);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  static byte[] random(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void truncatePastTheMaximumFileSizeFailsAtOnceAndChangesNothing() {
    client.write("/limit", random(1, 1000), WriteOptions.DEFAULTS);
    long version = client.stat("/limit").version();
    assertTimeoutPreemptively(HANG_BOUND, () -> {
      assertThatThrownBy(() -> client.truncate("/limit", BlockFormat.MAX_FILE_BYTES + 1))
          .isInstanceOfSatisfying(OutpostException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.FILE_TOO_LARGE);
            assertThat(e.getMessage()).contains("/limit").contains("17592186044416");
          });
      assertThatThrownBy(() -> client.truncate("/limit", Long.MAX_VALUE))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FILE_TOO_LARGE));
    });
    assertThat(client.stat("/limit").version()).isEqualTo(version);
    assertThat(client.stat("/limit").size()).isEqualTo(1000);
  }
}
