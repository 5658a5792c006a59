package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.SealedBlock;
import dev.outpost.origin.volume.TableCodecs.EntryKey;
import dev.outpost.origin.volume.TableCodecs.NodeKey;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FsckTest extends VolumeTestBase {
  FileAttr file;
  Content content;

  @BeforeEach
  void workload() {
    volume.mkdir("/a", 0755, T0);
    volume.mkdir("/a/b", 0755, T0);
    content = content("fsck", 100);
    file = write("/a/b/f", 0, content);
    write("/a/g", 0, content("g", 3));
    volume.symlink("/a/l", "b/f", T0);
    volume.createSnapshot("s", T0);
    volume.rename("/a/g", "/g", T0);
    volume.setAttr("/g", OptionalInt.of(0600), OptionalLong.empty(), OptionalLong.empty(), T0);
    volume.unlink("/a/l", T0);
    volume.create("/empty", 0644, true, T0);
  }

  @Test
  void healthyAfterAWorkload() {
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void reportsADirentToAMissingInode() {
    long dir = volume.getAttr("", "/a").inode();
    volume.storage.write(txn -> {
      volume.namespace.dirents.put(txn, new EntryKey(Namespace.LIVE_TREE, dir, "ghost"), 9999L);
      return null;
    });
    assertThat(volume.fsck()).anySatisfy(p -> assertThat(p).contains("'ghost'").contains("missing inode 9999"));
  }

  @Test
  void reportsAnUnreachableInodeAndAWrongParent() {
    volume.storage.write(txn -> {
      volume.namespace.inodes.put(txn, new NodeKey(Namespace.LIVE_TREE, 4000), new InodeRecord(FileType.FILE, 0644,
          0, T0, 1, Optional.empty(), "", 1));
      volume.namespace.inodes.put(txn, new NodeKey(Namespace.LIVE_TREE, file.inode()), new InodeRecord(FileType.FILE,
          0644, file.size(), T0, file.version(), file.root(), "", Namespace.ROOT_INODE));
      return null;
    });
    assertThat(volume.fsck())
        .anySatisfy(p -> assertThat(p).contains("inode 4000").contains("not reachable"))
        .anySatisfy(p -> assertThat(p).contains("inode 4000").contains("next inode number"))
        .anySatisfy(p -> assertThat(p).contains("points to inode " + file.inode() + " whose parent is 1"));
  }

  @Test
  void reportsAnEntryUnderAFile() {
    long f = volume.getAttr("", "/empty").inode();
    long g = volume.getAttr("", "/g").inode();
    volume.storage.write(txn -> {
      volume.namespace.dirents.put(txn, new EntryKey(Namespace.LIVE_TREE, f, "child"), g);
      return null;
    });
    assertThat(volume.fsck())
        .anySatisfy(p -> assertThat(p).contains("the parent is a FILE"))
        .anySatisfy(p -> assertThat(p).contains("both link inode " + g));
  }

  @Test
  void reportsMissingBlocksInTheLiveTreeAndSnapshots() {
    SealedBlock data = content.blocks().stream().filter(b -> b.cipher()[0] != BlockFormat.INDEX).findFirst()
        .orElseThrow();
    volume.blocks.store.delete(data.id());
    volume.storage.write(txn -> volume.blocks.touches.delete(txn, data.id()));
    assertThat(volume.fsck()).anySatisfy(p -> assertThat(p).contains("data block " + data.id().hex())
        .contains("is missing"));

    BlockId root = content.root().block();
    volume.blocks.store.delete(root);
    volume.storage.write(txn -> volume.blocks.touches.delete(txn, root));
    assertThat(volume.fsck()).anySatisfy(p -> assertThat(p).contains("index block " + root.hex())
        .contains("is missing"));
  }

  @Test
  void reportsABlockThatDoesNotHashToItsIdAndAStrayTouchRow() {
    SealedBlock real = content("victim", 1).blocks().getFirst();
    BlockId wrongId = content("other", 1).blocks().getFirst().id();
    volume.blocks.store.put(wrongId, ByteBuffer.wrap(real.cipher()));
    BlockId stray = content("stray", 1).blocks().getFirst().id();
    volume.storage.write(txn -> {
      volume.blocks.touches.put(txn, stray, T0);
      return null;
    });
    assertThat(volume.fsck())
        .anySatisfy(p -> assertThat(p).contains("block " + wrongId.hex() + " hashes to"))
        .anySatisfy(p -> assertThat(p).contains("block-touch row for absent block " + stray.hex()));
  }

  @Test
  void reportsAGapInTheJournal() {
    volume.storage.write(txn -> volume.journal.table.delete(txn, 3L));
    assertThat(volume.fsck()).anySatisfy(p -> assertThat(p).contains("expected seq 3 but found 4"));
  }

  @Test
  void reportsABrokenSnapshotTree() {
    volume.storage.write(txn -> {
      volume.namespace.inodes.delete(txn, new NodeKey(1, Namespace.ROOT_INODE));
      volume.namespace.inodes.put(txn, new NodeKey(77, 5), new InodeRecord(FileType.DIRECTORY, 0755, 0, T0, 1,
          Optional.empty(), "", 1));
      return null;
    });
    assertThat(volume.fsck())
        .anySatisfy(p -> assertThat(p).contains("snapshot 's'").contains("root directory (inode 1) is missing"))
        .anySatisfy(p -> assertThat(p).contains("tree 77"));
  }
}
