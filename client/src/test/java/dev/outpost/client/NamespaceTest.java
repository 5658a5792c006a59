package dev.outpost.client;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileType;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directories, links, attributes, error messages and the change stream. */
class NamespaceTest {
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

  @Test
  void mkdirWithParentsListRemoveRecursively() {
    client.mkdir("/ns/a/b/c", true);
    client.mkdir("/ns/a/b/c", true);
    client.write("/ns/a/b/c/f1", new byte[] {1}, WriteOptions.DEFAULTS);
    client.write("/ns/a/f2", new byte[] {2, 2}, WriteOptions.DEFAULTS);
    client.symlink("/ns/a/link", "b/c/f1");
    List<DirEntry> entries = client.list("/ns/a");
    assertThat(entries).extracting(DirEntry::name).containsExactly("b", "f2", "link");
    assertThat(entries.get(1).attr().size()).isEqualTo(2);
    assertThat(entries.get(2).attr().type()).isEqualTo(FileType.SYMLINK);
    assertThat(client.readlink("/ns/a/link")).isEqualTo("b/c/f1");

    assertThatThrownBy(() -> client.rm("/ns/a", false))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.DIRECTORY_NOT_EMPTY);
          assertThat(e.getMessage()).isEqualTo("directory not empty: /ns/a");
        });
    client.rm("/ns/a", true);
    assertThat(client.statIfExists("/ns/a")).isEmpty();
    assertThat(client.list("/ns")).isEmpty();
  }

  @Test
  void listingFollowsEveryPage() {
    client.mkdir("/paged", false);
    for (int i = 0; i < 7; i++) {
      client.write("/paged/f" + i, new byte[] {(byte) i}, WriteOptions.DEFAULTS);
    }
    assertThat(client.listing("/paged", 2).entries()).extracting(DirEntry::name)
        .containsExactly("f0", "f1", "f2", "f3", "f4", "f5", "f6");
    assertThat(client.listing("/paged", 7).entries()).hasSize(7);
    assertThat(client.list("/paged")).hasSize(7);
  }

  @Test
  void mkdirWithoutParentsNeedsTheParent() {
    assertThatThrownBy(() -> client.mkdir("/nope/child", false))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  void missingPathsSayNoSuchFile() {
    assertThatThrownBy(() -> client.stat("/a/b"))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
          assertThat(e.getMessage()).startsWith("no such file: /a/b");
        });
    assertThatThrownBy(() -> client.openRead("/missing"))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.getMessage()).startsWith("no such file: /missing"));
    assertThatThrownBy(() -> client.stat("relative"))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH));
  }

  @Test
  void readingADirectoryIsAnError() {
    client.mkdir("/isdir", false);
    assertThatThrownBy(() -> client.openRead("/isdir"))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.IS_A_DIRECTORY);
          assertThat(e.getMessage()).isEqualTo("is a directory: /isdir");
        });
  }

  @Test
  void mvChmodUtimes() {
    client.write("/m1", new byte[] {9}, WriteOptions.DEFAULTS);
    client.mv("/m1", "/m2");
    assertThat(client.statIfExists("/m1")).isEmpty();
    assertThat(client.chmod("/m2", 0600).mode()).isEqualTo(0600);
    assertThat(client.utimes("/m2", 1_234_567_000L).mtimeMillis()).isEqualTo(1_234_567_000L);
    assertThat(client.stat("/m2").mode()).isEqualTo(0600);
  }

  @Test
  void watchReceivesChangesUnderItsPrefixInOrder() throws InterruptedException {
    client.mkdir("/watched", false);
    BlockingQueue<ChangeEvent> events = new LinkedBlockingQueue<>();
    BlockingQueue<Long> started = new LinkedBlockingQueue<>();
    long from = currentSeq();
    try (Watch w = client.watch("/watched", from, new ChangeListener() {
      @Override
      public void onStart(long currentSeq) {
        started.add(currentSeq);
      }

      @Override
      public void onChange(ChangeEvent event) {
        events.add(event);
      }
    })) {
      assertThat(started.poll(10, TimeUnit.SECONDS)).isNotNull();
      client.write("/elsewhere", new byte[] {1}, WriteOptions.DEFAULTS);
      client.write("/watched/f", new byte[] {1, 2}, WriteOptions.DEFAULTS);
      client.mv("/watched/f", "/watched/g");
      ChangeEvent created = events.poll(10, TimeUnit.SECONDS);
      assertThat(created).isNotNull();
      assertThat(created.path()).isEqualTo("/watched/f");
      assertThat(created.kind()).isEqualTo(ChangeKind.CREATED);
      ChangeEvent modified = events.poll(10, TimeUnit.SECONDS);
      assertThat(modified.kind()).isEqualTo(ChangeKind.MODIFIED);
      ChangeEvent renamed = events.poll(10, TimeUnit.SECONDS);
      assertThat(renamed.kind()).isEqualTo(ChangeKind.RENAMED);
      assertThat(renamed.fromPath()).isEqualTo("/watched/f");
      assertThat(renamed.path()).isEqualTo("/watched/g");
      assertThat(w.lastSeq()).isEqualTo(renamed.seq());
    }
  }

  private static long currentSeq() {
    try (OutpostClient c = TestOrigins.client(origin)) {
      return c.welcome().journalSeq();
    }
  }
}
