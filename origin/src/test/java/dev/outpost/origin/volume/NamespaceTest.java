package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class NamespaceTest extends VolumeTestBase {

  @Test
  void freshVolumeHasAnEmptyRootAndItsIdentity() {
    FileAttr root = volume.getAttr("", "/");
    assertThat(root.inode()).isEqualTo(1);
    assertThat(root.type()).isEqualTo(FileType.DIRECTORY);
    assertThat(root.version()).isEqualTo(1);
    assertThat(volume.readDir("", "/", "", 10)).isEqualTo(new DirPage(List.of(), false));
    assertThat(volume.identity().name()).isEqualTo("test");
    assertThat(volume.identity().volumeId()).isEqualTo(VOLUME_ID);
    assertThat(volume.identity().createdAtMillis()).isEqualTo(T0);
    assertThat(volume.currentSeq()).isZero();
    assertThat(volume.oldestRetainedSeq()).isEqualTo(1);
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void createTwiceFailsAndOpenWithoutVolumeIsNotFound() {
    volume.close();
    failure(ErrorCode.ALREADY_EXISTS, () -> LmdbVolume.create(dir, "again", VOLUME_ID, CONFIG, clock));
    var e = failure(ErrorCode.NOT_FOUND, () -> LmdbVolume.open(dir.resolve("nowhere"), CONFIG, clock, 10));
    assertThat(e.getMessage()).contains("no volume");
    assertThat(Files.exists(dir.resolve("nowhere"))).isFalse();
    failure(ErrorCode.INVALID_ARGUMENT, () -> LmdbVolume.create(dir.resolve("x"), "x", new byte[3], CONFIG, clock));
    volume = LmdbVolume.open(dir, CONFIG, clock, 10);
    assertThat(volume.identity().name()).isEqualTo("test");
  }

  @Test
  void createMkdirSymlinkAndLookup() {
    var m = volume.mkdir("/docs", 0750, T0 + 5);
    FileAttr docs = m.result();
    assertThat(docs.type()).isEqualTo(FileType.DIRECTORY);
    assertThat(docs.mode()).isEqualTo(0750);
    assertThat(docs.mtimeMillis()).isEqualTo(T0 + 5);
    assertThat(m.events()).containsExactly(new ChangeEvent(1, docs.inode(), "/docs", "", 1, ChangeKind.CREATED));

    FileAttr file = volume.create("/docs/a.txt", 0644, true, T0 + 6).result();
    assertThat(file.type()).isEqualTo(FileType.FILE);
    assertThat(file.size()).isZero();
    assertThat(file.root()).isEmpty();
    assertThat(file.version()).isEqualTo(1);

    FileAttr link = volume.symlink("/docs/link", "a.txt", T0 + 7).result();
    assertThat(link.type()).isEqualTo(FileType.SYMLINK);
    assertThat(link.size()).isEqualTo(5);
    assertThat(volume.readLink("", "/docs/link")).isEqualTo("a.txt");

    assertThat(volume.lookup("", docs.inode(), "a.txt")).isEqualTo(file);
    assertThat(volume.getAttr("", "/docs/a.txt")).isEqualTo(file);
    failure(ErrorCode.NOT_FOUND, () -> volume.lookup("", docs.inode(), "nope"));
    failure(ErrorCode.NOT_A_DIRECTORY, () -> volume.lookup("", file.inode(), "x"));
    failure(ErrorCode.NOT_FOUND, () -> volume.lookup("", 999, "x"));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.readLink("", "/docs/a.txt"));
  }

  @Test
  void parentDirectoryVersionAndMtimeFollowItsEntries() {
    FileAttr before = volume.mkdir("/d", 0755, T0).result();
    volume.create("/d/f", 0644, true, T0 + 100);
    FileAttr after = volume.getAttr("", "/d");
    assertThat(after.version()).isEqualTo(before.version() + 1);
    assertThat(after.mtimeMillis()).isEqualTo(T0 + 100);
    volume.unlink("/d/f", T0 + 200);
    assertThat(volume.getAttr("", "/d").version()).isEqualTo(before.version() + 2);
  }

  @Test
  void createErrors() {
    volume.mkdir("/d", 0755, T0);
    FileAttr f = volume.create("/d/f", 0644, true, T0).result();
    failure(ErrorCode.ALREADY_EXISTS, () -> volume.create("/d/f", 0644, true, T0));
    var again = volume.create("/d/f", 0600, false, T0 + 1);
    assertThat(again.result()).isEqualTo(f);
    assertThat(again.events()).isEmpty();
    failure(ErrorCode.IS_A_DIRECTORY, () -> volume.create("/d", 0644, false, T0));
    failure(ErrorCode.ALREADY_EXISTS, () -> volume.mkdir("/d", 0755, T0));
    failure(ErrorCode.ALREADY_EXISTS, () -> volume.mkdir("/d/f", 0755, T0));
    failure(ErrorCode.ALREADY_EXISTS, () -> volume.symlink("/d/f", "x", T0));
    failure(ErrorCode.NOT_FOUND, () -> volume.create("/missing/f", 0644, true, T0));
    failure(ErrorCode.NOT_A_DIRECTORY, () -> volume.create("/d/f/g", 0644, true, T0));
    failure(ErrorCode.NOT_A_DIRECTORY, () -> volume.mkdir("/d/f/g", 0755, T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.create("/d/g", 010000, true, T0));
    failure(ErrorCode.INVALID_PATH, () -> volume.create("relative", 0644, true, T0));
    failure(ErrorCode.INVALID_PATH, () -> volume.symlink("/d/l", "", T0));
    failure(ErrorCode.INVALID_PATH, () -> volume.symlink("/d/l", "a\0b", T0));
    failure(ErrorCode.ALREADY_EXISTS, () -> volume.mkdir("/", 0755, T0));
  }

  @Test
  void unlinkAndRmdirErrors() {
    volume.mkdir("/d", 0755, T0);
    volume.create("/d/f", 0644, true, T0);
    failure(ErrorCode.IS_A_DIRECTORY, () -> volume.unlink("/d", T0));
    failure(ErrorCode.IS_A_DIRECTORY, () -> volume.unlink("/", T0));
    failure(ErrorCode.DIRECTORY_NOT_EMPTY, () -> volume.rmdir("/d", T0));
    failure(ErrorCode.NOT_A_DIRECTORY, () -> volume.rmdir("/d/f", T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.rmdir("/", T0));
    failure(ErrorCode.NOT_FOUND, () -> volume.unlink("/d/nope", T0));
    failure(ErrorCode.NOT_FOUND, () -> volume.rmdir("/nope", T0));

    FileAttr f = volume.getAttr("", "/d/f");
    var m = volume.unlink("/d/f", T0 + 1);
    assertThat(m.events()).extracting(ChangeEvent::kind, ChangeEvent::path, ChangeEvent::inode)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(ChangeKind.REMOVED, "/d/f", f.inode()));
    failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("", "/d/f"));
    volume.rmdir("/d", T0 + 2);
    failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("", "/d"));
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void renameMovesFilesAndDirectoriesWithOneEvent() {
    volume.mkdir("/a", 0755, T0);
    volume.mkdir("/a/sub", 0755, T0);
    FileAttr f = volume.create("/a/sub/f", 0644, true, T0).result();
    volume.mkdir("/b", 0755, T0);
    FileAttr sub = volume.getAttr("", "/a/sub");

    var m = volume.rename("/a/sub", "/b/moved", T0 + 1);
    assertThat(m.events()).hasSize(1);
    ChangeEvent e = m.events().getFirst();
    assertThat(e.kind()).isEqualTo(ChangeKind.RENAMED);
    assertThat(e.path()).isEqualTo("/b/moved");
    assertThat(e.fromPath()).isEqualTo("/a/sub");
    assertThat(e.inode()).isEqualTo(sub.inode());
    assertThat(volume.getAttr("", "/b/moved/f")).isEqualTo(f);
    failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("", "/a/sub"));
    assertThat(volume.fsck()).isEmpty();

    // Same-name rename is a no-op.
    assertThat(volume.rename("/b/moved", "/b/moved", T0 + 2).events()).isEmpty();
  }

  @Test
  void renameOverAnExistingFileReplacesIt() {
    FileAttr x = volume.create("/x", 0644, true, T0).result();
    FileAttr y = volume.create("/y", 0644, true, T0).result();
    var m = volume.rename("/x", "/y", T0 + 1);
    assertThat(m.events()).extracting(ChangeEvent::kind).containsExactly(ChangeKind.REMOVED, ChangeKind.RENAMED);
    assertThat(m.events().get(0).inode()).isEqualTo(y.inode());
    assertThat(m.events().get(1).inode()).isEqualTo(x.inode());
    assertThat(m.events().get(1).seq()).isEqualTo(m.events().get(0).seq() + 1);
    assertThat(volume.getAttr("", "/y").inode()).isEqualTo(x.inode());
    failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("", "/x"));
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void renameErrors() {
    volume.mkdir("/a", 0755, T0);
    volume.mkdir("/a/b", 0755, T0);
    volume.create("/a/b/f", 0644, true, T0);
    volume.mkdir("/empty", 0755, T0);
    volume.create("/file", 0644, true, T0);
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.rename("/a", "/a/b/c", T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.rename("/a", "/a/x", T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.rename("/", "/z", T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.rename("/a", "/", T0));
    failure(ErrorCode.NOT_FOUND, () -> volume.rename("/nope", "/z", T0));
    failure(ErrorCode.NOT_FOUND, () -> volume.rename("/file", "/nope/z", T0));
    failure(ErrorCode.NOT_A_DIRECTORY, () -> volume.rename("/file", "/file/z", T0));
    failure(ErrorCode.IS_A_DIRECTORY, () -> volume.rename("/file", "/empty", T0));
    failure(ErrorCode.NOT_A_DIRECTORY, () -> volume.rename("/empty", "/file", T0));
    failure(ErrorCode.DIRECTORY_NOT_EMPTY, () -> volume.rename("/empty", "/a", T0));
    // A directory may replace an empty directory.
    FileAttr a = volume.getAttr("", "/a");
    volume.rename("/a", "/empty", T0 + 1);
    assertThat(volume.getAttr("", "/empty").inode()).isEqualTo(a.inode());
    assertThat(volume.getAttr("", "/empty/b/f").type()).isEqualTo(FileType.FILE);
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void setAttrChangesModeMtimeAndTruncates() {
    volume.create("/f", 0644, true, T0);
    var m = volume.setAttr("/f", OptionalInt.of(0600), OptionalLong.empty(), OptionalLong.empty(), T0 + 1);
    assertThat(m.result().mode()).isEqualTo(0600);
    assertThat(m.result().version()).isEqualTo(2);
    assertThat(m.events()).extracting(ChangeEvent::kind).containsExactly(ChangeKind.ATTRS);

    var t = volume.setAttr("/f", OptionalInt.empty(), OptionalLong.of(42), OptionalLong.empty(), T0 + 2);
    assertThat(t.result().mtimeMillis()).isEqualTo(42);
    assertThat(t.result().version()).isEqualTo(3);

    Content c = content("setattr", 3);
    FileAttr written = write("/g", 0, c);
    var trunc = volume.setAttr("/g", OptionalInt.empty(), OptionalLong.empty(), OptionalLong.of(0), T0 + 9);
    assertThat(trunc.result().size()).isZero();
    assertThat(trunc.result().root()).isEmpty();
    assertThat(trunc.result().version()).isEqualTo(written.version() + 1);
    assertThat(trunc.result().mtimeMillis()).isEqualTo(T0 + 9);
    assertThat(trunc.events()).extracting(ChangeEvent::kind).containsExactly(ChangeKind.MODIFIED);

    var none = volume.setAttr("/g", OptionalInt.empty(), OptionalLong.empty(), OptionalLong.empty(), T0);
    assertThat(none.events()).isEmpty();
    assertThat(none.result()).isEqualTo(trunc.result());

    volume.mkdir("/d", 0755, T0);
    failure(ErrorCode.INVALID_ARGUMENT,
        () -> volume.setAttr("/f", OptionalInt.empty(), OptionalLong.empty(), OptionalLong.of(5), T0));
    failure(ErrorCode.IS_A_DIRECTORY,
        () -> volume.setAttr("/d", OptionalInt.empty(), OptionalLong.empty(), OptionalLong.of(0), T0));
    failure(ErrorCode.INVALID_ARGUMENT,
        () -> volume.setAttr("/f", OptionalInt.of(-1), OptionalLong.empty(), OptionalLong.empty(), T0));
    failure(ErrorCode.NOT_FOUND,
        () -> volume.setAttr("/nope", OptionalInt.of(0600), OptionalLong.empty(), OptionalLong.empty(), T0));
    assertThat(volume.setAttr("/d", OptionalInt.of(0700), OptionalLong.empty(), OptionalLong.empty(), T0)
        .result().mode()).isEqualTo(0700);
  }

  @Test
  void readDirPagesByNameInByteOrderWithFullAttributes() {
    volume.mkdir("/d", 0755, T0);
    List<String> names = List.of("b", "a", "c", "Z", "é", "\uD83D\uDE00", "aa", "a0");
    for (String n : names) {
      volume.create("/d/" + n, 0644, true, T0);
    }
    volume.mkdir("/d/sub", 0755, T0);
    List<String> seen = new ArrayList<>();
    String after = "";
    int pages = 0;
    while (true) {
      DirPage page = volume.readDir("", "/d", after, 3);
      pages++;
      for (DirEntry e : page.entries()) {
        seen.add(e.name());
        assertThat(e.attr()).isEqualTo(volume.getAttr("", "/d/" + e.name()));
      }
      if (!page.more()) {
        break;
      }
      after = page.entries().getLast().name();
    }
    assertThat(pages).isEqualTo(3);
    // UTF-8 byte order: "Z" < "a" < "a0" < "aa" < "b" < "c" < "sub" < "é" < emoji.
    assertThat(seen).containsExactly("Z", "a", "a0", "aa", "b", "c", "sub", "é", "\uD83D\uDE00");
  }

  @Test
  void readDirCursorIsANameSoConcurrentChangesDoNotShiftPages() {
    volume.mkdir("/d", 0755, T0);
    for (String n : List.of("a", "b", "c", "d", "e")) {
      volume.create("/d/" + n, 0644, true, T0);
    }
    DirPage first = volume.readDir("", "/d", "", 2);
    assertThat(first.entries()).extracting(DirEntry::name).containsExactly("a", "b");
    volume.unlink("/d/a", T0);
    volume.unlink("/d/b", T0);
    volume.create("/d/bb", 0644, true, T0);
    DirPage second = volume.readDir("", "/d", "b", 2);
    assertThat(second.entries()).extracting(DirEntry::name).containsExactly("bb", "c");
    assertThat(second.more()).isTrue();
    DirPage last = volume.readDir("", "/d", "c", 10);
    assertThat(last.entries()).extracting(DirEntry::name).containsExactly("d", "e");
    assertThat(last.more()).isFalse();
  }

  @Test
  void readDirErrors() {
    volume.create("/f", 0644, true, T0);
    failure(ErrorCode.NOT_A_DIRECTORY, () -> volume.readDir("", "/f", "", 10));
    failure(ErrorCode.NOT_FOUND, () -> volume.readDir("", "/nope", "", 10));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.readDir("", "/", "", 0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.readDir("", "/", "", 5000));
    failure(ErrorCode.INVALID_PATH, () -> volume.readDir("", "/", "a/b", 5));
    failure(ErrorCode.NOT_FOUND, () -> volume.readDir("nosnap", "/", "", 5));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.readDir("bad name!", "/", "", 5));
    failure(ErrorCode.NOT_A_DIRECTORY, () -> volume.getAttr("", "/f/x"));
  }

  @Test
  void reopenKeepsTreeJournalAndCounters() {
    volume.mkdir("/d", 0755, T0);
    FileAttr f = write("/d/f", 0, content("reopen", 5));
    long seq = volume.currentSeq();
    reopen(100);
    assertThat(volume.getAttr("", "/d/f")).isEqualTo(f);
    assertThat(volume.currentSeq()).isEqualTo(seq);
    assertThat(volume.journalAfter(0, "/", 100)).hasSize((int) seq);
    FileAttr g = volume.create("/d/g", 0644, true, T0).result();
    assertThat(g.inode()).isGreaterThan(f.inode());
    assertThat(volume.fsck()).isEmpty();
  }
}
