package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class JournalTest extends VolumeTestBase {

  @Test
  void everyMutationAppendsItsEventsInSequence() {
    List<ChangeEvent> returned = new ArrayList<>();
    returned.addAll(volume.mkdir("/a", 0755, T0).events());
    returned.addAll(volume.create("/a/f", 0644, true, T0).events());
    returned.addAll(volume.setAttr("/a/f", OptionalInt.of(0600), OptionalLong.empty(), OptionalLong.empty(), T0)
        .events());
    returned.addAll(volume.rename("/a/f", "/a/g", T0).events());
    returned.addAll(volume.unlink("/a/g", T0).events());
    returned.addAll(volume.symlink("/l", "t", T0).events());

    assertThat(returned).extracting(ChangeEvent::kind).containsExactly(ChangeKind.CREATED, ChangeKind.CREATED,
        ChangeKind.ATTRS, ChangeKind.RENAMED, ChangeKind.REMOVED, ChangeKind.CREATED);
    assertThat(returned).extracting(ChangeEvent::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(returned.get(2).version()).isEqualTo(2);
    assertThat(volume.journalAfter(0, "/", 100)).isEqualTo(returned);
    assertThat(volume.journalAfter(4, "/", 100)).isEqualTo(returned.subList(4, 6));
    assertThat(volume.journalAfter(0, "/", 2)).isEqualTo(returned.subList(0, 2));
    assertThat(volume.journalAfter(6, "/", 2)).isEmpty();
    assertThat(volume.currentSeq()).isEqualTo(6);
  }

  @Test
  void prefixFilterMatchesPathOrFromPathOnComponentBoundaries() {
    volume.mkdir("/a", 0755, T0);
    volume.mkdir("/ab", 0755, T0);
    volume.mkdir("/b", 0755, T0);
    volume.create("/a/in", 0644, true, T0);
    volume.create("/ab/not", 0644, true, T0);
    volume.rename("/a/in", "/b/out", T0);
    volume.rename("/b/out", "/a/back", T0);

    assertThat(volume.journalAfter(0, "/a", 100)).extracting(ChangeEvent::path)
        .containsExactly("/a", "/a/in", "/b/out", "/a/back");
    assertThat(volume.journalAfter(0, "/b", 100)).extracting(ChangeEvent::path)
        .containsExactly("/b", "/b/out", "/a/back");
    assertThat(volume.journalAfter(0, "/a/in", 100)).hasSize(2);
  }

  @Test
  void trimmingKeepsTheNewestEventsAndAsksOlderSubscribersToResync() {
    reopen(5);
    for (int i = 0; i < 12; i++) {
      volume.create("/f" + i, 0644, true, T0);
    }
    assertThat(volume.currentSeq()).isEqualTo(12);
    assertThat(volume.oldestRetainedSeq()).isEqualTo(8);
    assertThat(volume.journalAfter(7, "/", 100)).extracting(ChangeEvent::seq).containsExactly(8L, 9L, 10L, 11L, 12L);
    failure(ErrorCode.RESYNC, () -> volume.journalAfter(6, "/", 100));
    failure(ErrorCode.RESYNC, () -> volume.journalAfter(13, "/", 100));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.journalAfter(0, "/", 0));
    assertThat(volume.fsck()).isEmpty();

    // A rename that replaces a file appends two entries; both stay, the oldest shift.
    volume.rename("/f0", "/f1", T0);
    assertThat(volume.oldestRetainedSeq()).isEqualTo(10);
    reopen(5);
    assertThat(volume.oldestRetainedSeq()).isEqualTo(10);
    assertThat(volume.journalAfter(9, "/", 100)).hasSize(5);
  }

  @Test
  void writesRetriedAfterMapGrowthAppendEachEventOnce(@org.junit.jupiter.api.io.TempDir java.nio.file.Path other) {
    var tiny = new dev.outpost.store.StorageConfig(dev.outpost.store.StorageConfig.MIN_MAP_BYTES, 1L << 30, 16, true);
    try (LmdbVolume v = LmdbVolume.create(other, "tiny", VOLUME_ID, tiny, clock)) {
      v.mkdir("/d", 0755, T0);
      String longName = "n".repeat(200);
      for (int i = 0; i < 400; i++) {
        v.create("/d/" + longName + i, 0644, true, T0);
      }
      v.createSnapshot("big", T0);
      v.createSnapshot("bigger", T0);
      assertThat(v.storage.mapBytes()).isGreaterThan(dev.outpost.store.StorageConfig.MIN_MAP_BYTES);
      assertThat(v.currentSeq()).isEqualTo(401);
      assertThat(v.journalAfter(0, "/", 1000)).extracting(ChangeEvent::seq)
          .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 401).boxed().toList());
      assertThat(v.readDir("bigger", "/d", "", 1000).entries()).hasSize(400);
      assertThat(v.fsck()).isEmpty();
    }
  }

  @Test
  void failedMutationLeavesNoTrace() {
    volume.mkdir("/d", 0755, T0);
    volume.create("/d/f", 0644, true, T0);
    long seq = volume.currentSeq();
    long dirVersion = volume.getAttr("", "/d").version();
    failure(ErrorCode.DIRECTORY_NOT_EMPTY, () -> volume.rmdir("/d", T0));
    failure(ErrorCode.ALREADY_EXISTS, () -> volume.create("/d/f", 0644, true, T0));
    assertThat(volume.currentSeq()).isEqualTo(seq);
    assertThat(volume.getAttr("", "/d").version()).isEqualTo(dirVersion);
    assertThat(volume.journalAfter(0, "/", 100)).hasSize((int) seq);
  }
}
