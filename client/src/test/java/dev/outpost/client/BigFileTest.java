package dev.outpost.client;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/** A 1 GiB file streamed through in bounded memory; only with {@code -Doutpost.bigTests=true}. */
@EnabledIfSystemProperty(named = "outpost.bigTests", matches = "true")
class BigFileTest {
  static final long SIZE = 1L << 30;

  @Test
  void aGibibyteStreamsUpAndDownInBoundedMemory(@TempDir Path dir) throws IOException, NoSuchAlgorithmException {
    try (EmbeddedOrigin origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME); OutpostClient client = TestOrigins.client(origin)) {
      MessageDigest up = MessageDigest.getInstance("SHA-256");
      WriteReport r = client.write("/gib", new DigestInputStream(new RandomStream(1, SIZE), up), WriteOptions.DEFAULTS);
      assertThat(r.bytesRead()).isEqualTo(SIZE);
      assertThat(r.attr().root().orElseThrow().depth()).isGreaterThanOrEqualTo(2);
      MessageDigest down = MessageDigest.getInstance("SHA-256");
      long n;
      try (InputStream in = new DigestInputStream(client.openRead("/gib"), down)) {
        n = in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      assertThat(n).isEqualTo(SIZE);
      assertThat(down.digest()).isEqualTo(up.digest());
    }
  }
}
