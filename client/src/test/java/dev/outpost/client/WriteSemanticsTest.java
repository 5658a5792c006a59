package dev.outpost.client;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dedup, conflicts, truncate: what a commit does beyond storing bytes. */
class WriteSemanticsTest {
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
  void uploadingTheSameTreeTwiceSendsNoCiphertextTheSecondTime() {
    client.mkdir("/dedup/a", true);
    client.mkdir("/dedup/b", true);
    long firstUploaded = 0;
    long firstRead = 0;
    for (int i = 0; i < 4; i++) {
      WriteReport r = client.write("/dedup/a/f" + i, random(100 + i, 200_000 + i * 150_000), WriteOptions.DEFAULTS);
      firstUploaded += r.bytesUploaded();
      firstRead += r.bytesRead();
      assertThat(r.blocksUploaded()).isEqualTo(r.blocksTotal());
    }
    assertThat(firstUploaded).isGreaterThanOrEqualTo(firstRead);
    long secondUploaded = 0;
    long secondRead = 0;
    for (int i = 0; i < 4; i++) {
      WriteReport r = client.write("/dedup/b/f" + i, random(100 + i, 200_000 + i * 150_000), WriteOptions.DEFAULTS);
      secondUploaded += r.bytesUploaded();
      secondRead += r.bytesRead();
      assertThat(r.blocksUploaded()).isZero();
      assertThat(r.dedupRatio()).isInfinite();
    }
    assertThat(secondRead).isEqualTo(firstRead);
    assertThat(secondUploaded).isZero();
  }

  @Test
  void anEditSendsOnlyTheTouchedChunksAndTheIndexPath() {
    byte[] data = random(5, 4 << 20);
    client.write("/edit", data, WriteOptions.DEFAULTS);
    data[2_000_000] ^= 1;
    WriteReport r = client.write("/edit", data, WriteOptions.DEFAULTS);
    assertThat(r.blocksUploaded()).isBetween(1L, 4L);
    assertThat(r.bytesUploaded()).isLessThan(600_000);
  }

  @Test
  void twoWritersFromTheSameBaseOneGetsTheTypedConflictWithCurrentAttributes() {
    client.write("/race", random(1, 1000), WriteOptions.DEFAULTS);
    long base = client.stat("/race").version();
    try (OutpostClient other = TestOrigins.client(origin)) {
      FileWrite a = client.openWrite("/race", WriteOptions.DEFAULTS);
      FileWrite b = other.openWrite("/race", WriteOptions.DEFAULTS);
      a.write(random(2, 5000), 0, 5000);
      b.write(random(3, 7000), 0, 7000);
      a.close();
      long now = a.report().attr().version();
      assertThat(now).isGreaterThan(base);
      assertThatThrownBy(b::close)
          .isInstanceOfSatisfying(CommitConflictException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
            assertThat(e.baseVersion()).isEqualTo(base);
            assertThat(e.current()).hasValueSatisfying(c -> {
              assertThat(c.version()).isEqualTo(now);
              assertThat(c.size()).isEqualTo(5000);
            });
            assertThat(e.getMessage()).startsWith("/race changed on the server: base version " + base + ", now " + now
                + " (size 5000, mtime ");
          });
    }
    assertThat(client.stat("/race").size()).isEqualTo(5000);
  }

  @Test
  void twoCreatorsOfTheSameNewFileOneGetsTheConflict() {
    FileWrite a = client.openWrite("/new-race", WriteOptions.DEFAULTS);
    FileWrite b = client.openWrite("/new-race", WriteOptions.DEFAULTS);
    a.write(new byte[] {1, 2, 3});
    b.write(new byte[] {4});
    a.close();
    assertThatThrownBy(b::close).isInstanceOfSatisfying(CommitConflictException.class, e -> {
      assertThat(e.baseVersion()).isZero();
      assertThat(e.current()).hasValueSatisfying(c -> assertThat(c.size()).isEqualTo(3));
      assertThat(e.getMessage()).contains("the file did not exist when the write started");
    });
  }

  @Test
  void anExplicitStaleBaseVersionIsAConflict() {
    client.write("/stale", new byte[] {1}, WriteOptions.DEFAULTS);
    long v = client.stat("/stale").version();
    client.write("/stale", new byte[] {2}, WriteOptions.DEFAULTS);
    assertThatThrownBy(() -> client.write("/stale", new byte[] {3}, WriteOptions.DEFAULTS.withBaseVersion(v)))
        .isInstanceOf(CommitConflictException.class);
  }

  @Test
  void truncateShrinksAndGrowsWithZeros() throws IOException {
    byte[] data = random(8, 400_000);
    client.write("/trunc", data, WriteOptions.DEFAULTS.withMode(0640));
    client.truncate("/trunc", 100_000);
    try (InputStream in = client.openRead("/trunc")) {
      assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOf(data, 100_000));
    }
    client.truncate("/trunc", 150_000);
    byte[] expected = java.util.Arrays.copyOf(java.util.Arrays.copyOf(data, 100_000), 150_000);
    try (InputStream in = client.openRead("/trunc")) {
      assertThat(in.readAllBytes()).isEqualTo(expected);
    }
    assertThat(client.stat("/trunc").mode()).isEqualTo(0640);
    client.truncate("/trunc", 0);
    assertThat(client.stat("/trunc").size()).isZero();
    assertThat(client.stat("/trunc").root()).isEmpty();
  }

  @Test
  void aReadOnlyTokenCannotWrite() {
    ClientConfig ro = ClientConfig.of(origin.address(), origin.token(AccessToken.Mode.RO, "test-RO"), origin.keyFile());
    try (OutpostClient c = OutpostClient.connect(ro)) {
      assertThat(c.tokenIsReadOnly()).isTrue();
      assertThat(client.tokenIsReadOnly()).isFalse();
      assertThat(c.list("/")).isNotNull();
      assertThatThrownBy(() -> c.write("/ro-file", new byte[] {1}, WriteOptions.DEFAULTS))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
    }
  }

  @Test
  void anotherVolumeKeyCannotReadTheContent() {
    client.write("/secret", random(4, 1000), WriteOptions.DEFAULTS);
    byte[] volumeId;
    try {
      volumeId = dev.outpost.crypto.VolumeKeyFile.read(origin.keyFile()).key().volumeId();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    dev.outpost.crypto.VolumeKey wrong = dev.outpost.crypto.VolumeKey.generate(volumeId, new java.security.SecureRandom());
    try (OutpostClient other = OutpostClient.connect(TestOrigins.config(origin), wrong)) {
      assertThat(other.stat("/secret").size()).isEqualTo(1000);
      assertThatThrownBy(() -> other.openRead("/secret"))
          .isInstanceOfSatisfying(OutpostException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BLOCK_CORRUPT);
            assertThat(e.getMessage()).startsWith("/secret: cannot unwrap the content key (wrong volume key file?)");
          });
    }
  }

  @Test
  void aBadTokenIsRefusedAtConnect() {
    ClientConfig bad = ClientConfig.of(origin.address(), "not-a-token", origin.keyFile());
    assertThatThrownBy(() -> OutpostClient.connect(bad))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED));
  }
}
