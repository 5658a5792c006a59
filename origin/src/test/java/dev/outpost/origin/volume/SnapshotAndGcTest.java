package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.crypto.SealedBlock;
import dev.outpost.core.BlockRef;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.SnapshotInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SnapshotAndGcTest extends VolumeTestBase {
  static final long GRACE = 60_000;

  @Test
  void snapshotIsAFrozenImageOfTheWholeVolume() {
    volume.mkdir("/d", 0755, T0);
    Content old = content("old", 120);
    FileAttr f = write("/d/f", 0, old);
    FileAttr g = write("/d/g", 0, content("g", 2));
    volume.symlink("/d/l", "f", T0);
    long seq = volume.currentSeq();

    var m = volume.createSnapshot("nightly-1", T0 + 10);
    assertThat(m.result()).isEqualTo(new SnapshotInfo("nightly-1", seq, T0 + 10));
    assertThat(m.events()).isEmpty();

    write("/d/f", f.version(), content("new", 3));
    volume.unlink("/d/g", T0);
    volume.rename("/d", "/renamed", T0);
    volume.create("/renamed/extra", 0644, true, T0);

    assertThat(volume.getAttr("nightly-1", "/d/f")).isEqualTo(f);
    assertThat(volume.getAttr("nightly-1", "/d/g")).isEqualTo(g);
    assertThat(volume.readLink("nightly-1", "/d/l")).isEqualTo("f");
    assertThat(volume.lookup("nightly-1", volume.getAttr("nightly-1", "/d").inode(), "g")).isEqualTo(g);
    assertThat(volume.readDir("nightly-1", "/d", "", 100).entries()).extracting(DirEntry::name)
        .containsExactly("f", "g", "l");
    failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("nightly-1", "/renamed"));
    failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("live-typo", "/d"));
    assertThat(volume.getAttr("", "/renamed/f").version()).isEqualTo(f.version() + 1);

    Set<BlockId> listed = listed("nightly-1", "/d/f");
    assertThat(listed).containsExactlyInAnyOrderElementsOf(old.ids());
    assertThat(volume.listSnapshots()).containsExactly(m.result());
    assertThat(volume.fsck()).isEmpty();

    reopen(100);
    assertThat(volume.getAttr("nightly-1", "/d/f")).isEqualTo(f);
    failure(ErrorCode.ALREADY_EXISTS, () -> volume.createSnapshot("nightly-1", T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.createSnapshot("", T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.createSnapshot("a/b", T0));
    failure(ErrorCode.NOT_FOUND, () -> volume.deleteSnapshot("nope"));
  }

  @Test
  void listBlocksYieldsEachReferencedBlockOnceInBatches() {
    volume.mkdir("/p", 0755, T0);
    volume.mkdir("/p/q", 0755, T0);
    Content a = content("a", 150);
    Content b = content("b", 5);
    write("/p/a", 0, a);
    write("/p/q/b", 0, b);
    write("/p/q/b-copy", 0, b);
    write("/outside", 0, content("outside", 4));

    List<List<BlockRef>> batches = new ArrayList<>();
    volume.listBlocks("", "/p", 7, batches::add);
    List<BlockRef> all = batches.stream().flatMap(List::stream).toList();
    assertThat(batches).allSatisfy(batch -> assertThat(batch).hasSizeLessThanOrEqualTo(7));
    assertThat(batches.subList(0, batches.size() - 1)).allSatisfy(batch -> assertThat(batch).hasSize(7));
    Set<BlockId> expected = new HashSet<>(a.ids());
    expected.addAll(b.ids());
    assertThat(all).extracting(BlockRef::id).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
    for (SealedBlock s : a.blocks()) {
      assertThat(all).contains(new BlockRef(s.id(), s.cipherLength()));
    }
    assertThat(listed("", "/p/q")).containsExactlyInAnyOrderElementsOf(b.ids());
    assertThat(listed("", "/p/q/b")).containsExactlyInAnyOrderElementsOf(b.ids());
    failure(ErrorCode.NOT_FOUND, () -> volume.listBlocks("", "/nope", 5, x -> {}));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.listBlocks("", "/p", 0, x -> {}));
  }

  @Test
  void gcKeepsReferencedAndFreshBlocksAndFreesTheRest() {
    Content live = content("live", 80);
    write("/live", 0, live);
    Content garbage = content("garbage", 6);
    upload(garbage);
    // An upload in flight: put later, still within the grace period at GC time.
    clock.advance(2 * GRACE);
    Content fresh = content("fresh", 4);
    upload(fresh);

    long before = volume.blockStats().count();
    Volume.GcReport r = volume.collectGarbage(GRACE, clock.millis());
    assertThat(r.blocksFreed()).isEqualTo(garbage.blocks().size());
    assertThat(r.bytesFreed()).isEqualTo(garbage.blocks().stream().mapToLong(SealedBlock::cipherLength).sum());
    assertThat(r.blocksKept()).isEqualTo(before - garbage.blocks().size());
    assertThat(volume.missingBlocks(garbage.ids())).containsExactlyElementsOf(garbage.ids());
    assertThat(volume.missingBlocks(live.ids())).isEmpty();
    assertThat(volume.missingBlocks(fresh.ids())).isEmpty();
    assertThat(volume.fsck()).isEmpty();

    // Once the grace period passes, the unreferenced upload goes too.
    clock.advance(2 * GRACE);
    Volume.GcReport later = volume.collectGarbage(GRACE, clock.millis());
    assertThat(later.blocksFreed()).isEqualTo(fresh.blocks().size());
    assertThat(volume.missingBlocks(live.ids())).isEmpty();
  }

  @Test
  void hasBlocksTouchRestartsTheGracePeriod() {
    Content c = content("touched", 3);
    upload(c);
    clock.advance(2 * GRACE);
    assertThat(volume.missingBlocks(c.ids())).isEmpty();
    assertThat(volume.collectGarbage(GRACE, clock.millis()).blocksFreed()).isZero();
    // The commit the has-blocks call announced now succeeds even though the blocks were old.
    assertThat(volume.commit("/f", 0, 0, c.rootRef(), c.size(), T0, T0).result().version()).isEqualTo(1);
  }

  @Test
  void snapshotKeepsItsBlocksUntilDeletedThenTheyAreFreedAfterGrace() {
    Content old = content("snapshotted", 90);
    FileAttr f = write("/f", 0, old);
    volume.createSnapshot("s1", T0);
    Content next = content("replacement", 3);
    write("/f", f.version(), next);
    write("/doomed", 0, content("doomed", 2));
    volume.unlink("/doomed", T0);

    clock.advance(10 * GRACE);
    volume.collectGarbage(GRACE, clock.millis());
    assertThat(volume.missingBlocks(old.ids())).as("snapshot blocks survive GC").isEmpty();
    assertThat(listed("s1", "/")).containsExactlyInAnyOrderElementsOf(old.ids());

    volume.deleteSnapshot("s1");
    assertThat(volume.listSnapshots()).isEmpty();
    failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("s1", "/f"));
    // The touch from has-blocks above restarted their grace period: still kept right now.
    assertThat(volume.collectGarbage(GRACE, clock.millis()).blocksFreed()).isZero();
    clock.advance(2 * GRACE);
    Volume.GcReport r = volume.collectGarbage(GRACE, clock.millis());
    assertThat(r.blocksFreed()).isEqualTo(old.blocks().size());
    assertThat(volume.missingBlocks(old.ids())).containsExactlyInAnyOrderElementsOf(old.ids());
    assertThat(volume.missingBlocks(next.ids())).isEmpty();
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void commitRevivingAnOldUnreferencedBlockTouchesIt() {
    Content c = content("revived", 2);
    upload(c);
    clock.advance(10 * GRACE);
    // No has-blocks call: the commit itself must protect the blocks it now references.
    volume.commit("/f", 0, 0, c.rootRef(), c.size(), T0, T0);
    volume.unlink("/f", T0);
    assertThat(volume.collectGarbage(GRACE, clock.millis()).blocksFreed()).isZero();
  }

  @Test
  void snapshotsShareUnchangedBlocksWithTheLiveTree() {
    Content c = content("shared", 20);
    write("/f", 0, c);
    volume.createSnapshot("a", T0);
    volume.createSnapshot("b", T0);
    clock.advance(10 * GRACE);
    long before = volume.blockStats().count();
    assertThat(volume.collectGarbage(GRACE, clock.millis()).blocksFreed()).isZero();
    assertThat(volume.blockStats().count()).isEqualTo(before).isEqualTo(c.blocks().size());
  }

  private Set<BlockId> listed(String snapshot, String prefix) {
    List<BlockId> ids = new ArrayList<>();
    volume.listBlocks(snapshot, prefix, 1000, batch -> batch.forEach(r -> ids.add(r.id())));
    assertThat(ids).doesNotHaveDuplicates();
    return new HashSet<>(ids);
  }
}
