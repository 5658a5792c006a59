package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.RootRef;
import dev.outpost.crypto.SealedBlock;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.FileAttr;
import dev.outpost.transport.ConflictException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class CommitTest extends VolumeTestBase {

  @Test
  void baseVersionZeroCreatesThenVersionsGrowByOne() {
    Content v1 = content("one", 200);
    assertThat(v1.root().depth()).as("a multi-level tree").isGreaterThanOrEqualTo(1);
    var created = volume.commit("/f", 0, 0, uploaded(v1), v1.size(), T0 + 1, T0 + 1);
    FileAttr a1 = created.result();
    assertThat(a1.version()).isEqualTo(1);
    assertThat(a1.size()).isEqualTo(v1.size());
    assertThat(a1.root()).contains(v1.root());
    assertThat(a1.mtimeMillis()).isEqualTo(T0 + 1);
    assertThat(created.events()).extracting(e -> e.kind()).containsExactly(ChangeKind.CREATED);

    Content v2 = content("two", 3);
    var m = volume.commit("/f", a1.inode(), 1, uploaded(v2), v2.size(), T0 + 2, T0 + 2);
    assertThat(m.result().version()).isEqualTo(2);
    assertThat(m.result().inode()).isEqualTo(a1.inode());
    assertThat(m.events()).extracting(e -> e.kind(), e -> e.version())
        .containsExactly(org.assertj.core.groups.Tuple.tuple(ChangeKind.MODIFIED, 2L));
    var empty = volume.commit("/f", 0, 2, Optional.empty(), 0, T0 + 3, T0 + 3);
    assertThat(empty.result().version()).isEqualTo(3);
    assertThat(empty.result().root()).isEmpty();
    assertThat(volume.getAttr("", "/f")).isEqualTo(empty.result());
  }

  @Test
  void staleBaseIsAConflictCarryingCurrentAttributes() {
    FileAttr a = write("/f", 0, content("a", 2));
    write("/f", 1, content("b", 2));
    Content c = content("c", 2);
    upload(c);
    ConflictException e = (ConflictException) failure(ErrorCode.CONFLICT,
        () -> volume.commit("/f", a.inode(), 1, c.rootRef(), c.size(), T0, T0));
    assertThat(e.getMessage()).contains("base version 1 but current is 2");
    assertThat(e.current()).contains(volume.getAttr("", "/f"));

    ConflictException create = (ConflictException) failure(ErrorCode.CONFLICT,
        () -> volume.commit("/f", 0, 0, c.rootRef(), c.size(), T0, T0));
    assertThat(create.current()).isPresent();

    ConflictException wrongInode = (ConflictException) failure(ErrorCode.CONFLICT,
        () -> volume.commit("/f", a.inode() + 100, 2, c.rootRef(), c.size(), T0, T0));
    assertThat(wrongInode.getMessage()).contains("inode");

    volume.unlink("/f", T0);
    ConflictException gone = (ConflictException) failure(ErrorCode.CONFLICT,
        () -> volume.commit("/f", a.inode(), 2, c.rootRef(), c.size(), T0, T0));
    assertThat(gone.current()).isEmpty();
  }

  @Test
  void commitChecksItsArgumentsAndTarget() {
    Content c = content("args", 2);
    upload(c);
    volume.mkdir("/d", 0755, T0);
    volume.symlink("/l", "x", T0);
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.commit("/f", 0, 0, c.rootRef(), 0, T0, T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.commit("/f", 0, 0, Optional.empty(), 10, T0, T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.commit("/f", 0, -1, c.rootRef(), c.size(), T0, T0));
    failure(ErrorCode.IS_A_DIRECTORY, () -> volume.commit("/d", 0, 1, c.rootRef(), c.size(), T0, T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.commit("/l", 0, 1, c.rootRef(), c.size(), T0, T0));
    failure(ErrorCode.NOT_FOUND, () -> volume.commit("/nope/f", 0, 0, c.rootRef(), c.size(), T0, T0));
    failure(ErrorCode.IS_A_DIRECTORY, () -> volume.commit("/", 0, 1, c.rootRef(), c.size(), T0, T0));
  }

  @Test
  void missingBlocksAreNamedAndNothingChanges() {
    Content c = content("missing", 150);
    // Upload everything except two data blocks.
    List<SealedBlock> skipped = new ArrayList<>();
    for (SealedBlock b : c.blocks()) {
      if (b.cipher()[0] != dev.outpost.crypto.BlockFormat.INDEX && skipped.size() < 2) {
        skipped.add(b);
      } else {
        volume.putBlock(b.id(), ByteBuffer.wrap(b.cipher()));
      }
    }
    var e = failure(ErrorCode.MISSING_BLOCKS, () -> volume.commit("/f", 0, 0, c.rootRef(), c.size(), T0, T0));
    for (SealedBlock s : skipped) {
      assertThat(e.getMessage()).contains(s.id().hex());
    }
    failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("", "/f"));
    assertThat(volume.currentSeq()).isZero();
    assertThat(volume.missingBlocks(c.ids())).containsExactlyElementsOf(skipped.stream().map(SealedBlock::id).toList());
    for (SealedBlock s : skipped) {
      volume.putBlock(s.id(), ByteBuffer.wrap(s.cipher()));
    }
    assertThat(volume.commit("/f", 0, 0, c.rootRef(), c.size(), T0, T0).result().version()).isEqualTo(1);
  }

  @Test
  void missingRootIsReportedAndListIsCapped() {
    Content c = content("capped", 60);
    var e = failure(ErrorCode.MISSING_BLOCKS, () -> volume.commit("/f", 0, 0, c.rootRef(), c.size(), T0, T0));
    assertThat(e.getMessage()).contains(c.root().block().hex());
    // Root present, its 60 data children absent: at most 20 named.
    for (SealedBlock b : c.blocks()) {
      if (b.cipher()[0] == dev.outpost.crypto.BlockFormat.INDEX) {
        volume.putBlock(b.id(), ByteBuffer.wrap(b.cipher()));
      }
    }
    var many = failure(ErrorCode.MISSING_BLOCKS, () -> volume.commit("/f", 0, 0, c.rootRef(), c.size(), T0, T0));
    assertThat(many.getMessage()).contains("and 40 more");
  }

  @Test
  void rootDepthMustMatchTheIndexLevel() {
    Content c = content("depth", 100);
    upload(c);
    RootRef lying = new RootRef(c.root().block(), c.root().depth() + 1, c.root().cipherLength(), new byte[] {1});
    failure(ErrorCode.BLOCK_CORRUPT, () -> volume.commit("/f", 0, 0, Optional.of(lying), c.size(), T0, T0));
  }

  @Test
  void putBlockVerifiesTheHashAndGetBlockCopiesIt() {
    Content c = content("put", 1);
    SealedBlock b = c.blocks().getFirst();
    assertThat(volume.putBlock(b.id(), ByteBuffer.wrap(b.cipher()))).isTrue();
    assertThat(volume.putBlock(b.id(), ByteBuffer.wrap(b.cipher()))).isFalse();
    byte[] tampered = b.cipher().clone();
    tampered[tampered.length - 1] ^= 1;
    BlockId other = dev.outpost.crypto.BlockIds.of(content("other", 1).blocks().getFirst().cipher());
    failure(ErrorCode.BLOCK_CORRUPT, () -> volume.putBlock(other, ByteBuffer.wrap(tampered)));
    byte[] badType = b.cipher().clone();
    badType[0] = 9;
    failure(ErrorCode.BLOCK_CORRUPT,
        () -> volume.putBlock(dev.outpost.crypto.BlockIds.of(badType), ByteBuffer.wrap(badType)));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.putBlock(b.id(), ByteBuffer.allocate(1)));
    assertThat(volume.missingBlocks(List.of(b.id(), other))).containsExactly(other);

    ByteBuf got = volume.getBlock(b.id(), UnpooledByteBufAllocator.DEFAULT).orElseThrow();
    try {
      byte[] bytes = new byte[got.readableBytes()];
      got.readBytes(bytes);
      assertThat(bytes).isEqualTo(b.cipher());
    } finally {
      got.release();
    }
    assertThat(volume.getBlock(other, UnpooledByteBufAllocator.DEFAULT)).isEmpty();
  }

  @Test
  void concurrentCommitsWithTheSameBaseHaveExactlyOneWinner() throws Exception {
    FileAttr base = write("/f", 0, content("base", 2));
    int writers = 6;
    List<Content> versions = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      Content c = content("writer " + i, 2);
      upload(c);
      versions.add(c);
    }
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Object>> results = new ArrayList<>();
      for (Content c : versions) {
        results.add(pool.submit(() -> {
          start.await();
          try {
            return volume.commit("/f", base.inode(), base.version(), c.rootRef(), c.size(), T0, T0).result();
          } catch (ConflictException e) {
            return e;
          }
        }));
      }
      start.countDown();
      List<FileAttr> wins = new ArrayList<>();
      List<ConflictException> conflicts = new ArrayList<>();
      for (Future<Object> f : results) {
        Object r = f.get();
        if (r instanceof FileAttr a) {
          wins.add(a);
        } else {
          conflicts.add((ConflictException) r);
        }
      }
      assertThat(wins).hasSize(1);
      assertThat(conflicts).hasSize(writers - 1);
      FileAttr now = volume.getAttr("", "/f");
      assertThat(now).isEqualTo(wins.getFirst());
      assertThat(now.version()).isEqualTo(base.version() + 1);
      for (ConflictException c : conflicts) {
        assertThat(c.current()).contains(now);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private Optional<RootRef> uploaded(Content c) {
    upload(c);
    return c.rootRef();
  }
}
