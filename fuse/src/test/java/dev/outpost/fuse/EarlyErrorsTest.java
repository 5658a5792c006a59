package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A write whose commit can no longer succeed — the file got a newer version since the handle's base, from
 * another client (the change stream tells the mount) or from another handle of this mount — fails at the write,
 * with EIO, not only at close. Each test waits for an observable state (a new size through the mount), never
 * for a fixed time.
 */
@Timeout(60)
class EarlyErrorsTest extends MountFixture {
  private static ByteBuffer text(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes /f from another client, then /marker, and waits until the mount shows /marker's new size: events
   * come in journal order, so by then the mount has heard of /f's new version too.
   */
  private void writeElsewhereAndWait(String content) throws Exception {
    Path marker = mnt.resolve("marker");
    long before = Files.size(marker);
    try (OutpostClient other = TestOrigins.client(origin)) {
      other.write("/f", content.getBytes(StandardCharsets.UTF_8), WriteOptions.DEFAULTS);
      other.write("/marker", new byte[(int) before + 1], WriteOptions.DEFAULTS);
    }
    while (Files.size(marker) != before + 1) {
      Thread.sleep(10);
    }
  }

  @BeforeEach
  void writeTheFiles() throws Exception {
    client.write("/f", "version one\n".getBytes(StandardCharsets.UTF_8), WriteOptions.DEFAULTS);
    client.write("/marker", new byte[1], WriteOptions.DEFAULTS);
    // Cached by the mount from now on, until the change stream says otherwise.
    assertThat(Files.size(mnt.resolve("marker"))).isEqualTo(1);
  }

  @Test
  void aCleanHandleFailsItsFirstWriteOnceTheFileChangedElsewhere() throws Exception {
    try (FileChannel ch = FileChannel.open(mnt.resolve("f"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      writeElsewhereAndWait("changed elsewhere, longer\n");
      assertThatThrownBy(() -> ch.write(text("mine"), 0)).isInstanceOf(IOException.class)
          .hasMessageContaining("Input/output error");
      // Reads still see the version opened (close-to-open).
      ByteBuffer b = ByteBuffer.allocate(64);
      ch.read(b, 0);
      assertThat(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8)).isEqualTo("version one\n");
    }
    assertThat(new String(client.openRead("/f").readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("changed elsewhere, longer\n");
  }

  @Test
  void aDirtyHandleFailsItsNextWriteOnceTheFileChangedElsewhere() throws Exception {
    FileChannel ch = FileChannel.open(mnt.resolve("f"), StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      assertThat(ch.write(text("VERSION"), 0)).isEqualTo(7);
      writeElsewhereAndWait("changed elsewhere, longer\n");
      assertThatThrownBy(() -> ch.write(text(" two"), 7)).isInstanceOf(IOException.class)
          .hasMessageContaining("Input/output error");
    } finally {
      try {
        ch.close();
      } catch (IOException conflict) {
        // The commit of the first write is refused too: that was its fate since the change elsewhere.
      }
    }
    assertThat(new String(client.openRead("/f").readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("changed elsewhere, longer\n");
  }

  @Test
  void aHandleFailsItsWriteOnceAnotherHandleOfTheMountCommitted() throws Exception {
    Path f = mnt.resolve("f");
    try (FileChannel b = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      try (FileChannel a = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        a.write(text("written by A"), 0);
      }
      assertThatThrownBy(() -> b.write(text("written by B"), 0)).isInstanceOf(IOException.class)
          .hasMessageContaining("Input/output error");
    }
    assertThat(new String(client.openRead("/f").readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("written by A");
  }
}
