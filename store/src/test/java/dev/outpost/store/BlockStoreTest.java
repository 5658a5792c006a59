package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BlockStoreTest extends StoreTestBase {
  private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

  private LmdbStorage storage;
  private BlockStore blocks;

  @BeforeEach
  void setUp() {
    storage = openDefault();
    blocks = storage.blockStore("blocks");
  }

  @Test
  void putIsPutIfAbsentAndCountsOnlyNewBlocks() {
    byte[] c = cipher(1, 1000);
    BlockId id = idOf(c);
    assertThat(blocks.put(id, ByteBuffer.wrap(c))).isTrue();
    // Same id again, even with other bytes: the first copy stays.
    assertThat(blocks.put(id, ByteBuffer.wrap(cipher(2, 10)))).isFalse();
    assertStats(blocks, 1, 1000);
    assertThat(blocks.withBlock(id, ByteBufferBytes::of)).hasValueSatisfying(b -> assertThat(b).isEqualTo(c));
  }

  @Test
  void pagesAndFileSayWhatTheBlocksCostOfTheDisk() {
    List<BlockWrite> writes = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      writes.add(blockWrite(100 + i, 64 * 1024));
    }
    blocks.putAll(writes);
    storage.sync();
    // A 64 KiB value takes 17 overflow pages of 4 KiB (its page header does not fit the 16th).
    assertThat(blocks.pageBytes()).isBetween(blocks.bytes(), blocks.bytes() * 11 / 10);
    StoreSpace space = storage.space();
    assertThat(space.fileBytes()).isGreaterThanOrEqualTo(blocks.pageBytes()).isLessThanOrEqualTo(space.mapBytes());
    assertThat(space.mapBytes()).isEqualTo(storage.mapBytes());
    assertThat(space.filesystemBytes()).isGreaterThanOrEqualTo(space.filesystemUsableBytes()).isPositive();

    blocks.deleteAll(writes.stream().map(BlockWrite::id).toList());
    assertThat(blocks.pageBytes()).isLessThan(4 * 4096);
    assertThat(storage.space().fileBytes()).as("LMDB keeps its file; freed pages are reused inside it")
        .isGreaterThanOrEqualTo(space.fileBytes());
  }

  @Test
  void putReadsTheRemainingBytesWithoutMovingTheCallersBuffer() {
    byte[] c = cipher(3, 100);
    ByteBuffer direct = ByteBuffer.allocateDirect(120);
    direct.position(10);
    direct.put(c);
    direct.position(10).limit(110);
    BlockId id = idOf(c);
    assertThat(blocks.put(id, direct)).isTrue();
    assertThat(direct.position()).isEqualTo(10);
    assertThat(direct.remaining()).isEqualTo(100);
    assertThat(blocks.withBlock(id, ByteBufferBytes::of)).hasValueSatisfying(b -> assertThat(b).isEqualTo(c));
  }

  @Test
  void getCopiesIntoAnAllocatorBufferThatOutlivesTheTransaction() {
    byte[] c = cipher(4, 70_000);
    BlockId id = idOf(c);
    blocks.put(id, ByteBuffer.wrap(c));
    Optional<ByteBuf> got = blocks.get(id, ALLOC);
    assertThat(got).isPresent();
    ByteBuf buf = got.get();
    try {
      // Several writes after the read transaction ended: the copy is unaffected.
      blocks.delete(id);
      blocks.putAll(List.of(blockWrite(5, 50_000), blockWrite(6, 50_000)));
      assertThat(ByteBufUtil.getBytes(buf)).isEqualTo(c);
      assertThat(buf.refCnt()).isEqualTo(1);
    } finally {
      buf.release();
    }
    assertThat(blocks.get(id, ALLOC)).isEmpty();
  }

  @Test
  void aCopyThatFailsHalfwayIsReleasedNotLeaked() {
    BlockWrite w = blockWrite(9, 100);
    blocks.putAll(List.of(w));
    List<ByteBuf> handedOut = new ArrayList<>();
    ByteBufAllocator tooSmall = new io.netty.buffer.AbstractByteBufAllocator(false) {
      @Override
      public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf b = heapBuffer(1, 1);
        handedOut.add(b);
        return b;
      }

      @Override
      protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return io.netty.buffer.Unpooled.buffer(initialCapacity, maxCapacity);
      }

      @Override
      protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return io.netty.buffer.Unpooled.directBuffer(initialCapacity, maxCapacity);
      }

      @Override
      public boolean isDirectBufferPooled() {
        return false;
      }
    };
    assertThatThrownBy(() -> blocks.get(w.id(), tooSmall)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(handedOut).singleElement().satisfies(b -> assertThat(b.refCnt()).isZero());
  }

  @Test
  void withBlockLendsAReadOnlyView() {
    BlockWrite w = blockWrite(7, 64);
    blocks.putAll(List.of(w));
    assertThatThrownBy(() -> blocks.withBlock(w.id(), b -> b.put(0, (byte) 1)))
        .isInstanceOf(ReadOnlyBufferException.class);
    assertThat(blocks.withBlock(w.id(), ByteBuffer::remaining)).contains(64);
    assertThat(blocks.withBlock(idOf(cipher(8, 1)), ByteBuffer::remaining)).isEmpty();
  }

  @Test
  void countsAndBytesStayExactThroughPutsDeletesDuplicatesAndReopen() {
    List<BlockWrite> writes = new ArrayList<>();
    long bytes = 0;
    for (int i = 0; i < 50; i++) {
      writes.add(blockWrite(i, 100 + i * 37));
      bytes += 100 + i * 37;
    }
    assertThat(blocks.putAll(writes)).isEqualTo(50);
    assertStats(blocks, 50, bytes);
    assertThat(blocks.putAll(writes.subList(0, 10))).isZero();
    assertStats(blocks, 50, bytes);

    assertThat(blocks.delete(writes.get(0).id())).isTrue();
    assertThat(blocks.delete(writes.get(0).id())).isFalse();
    bytes -= 100;
    assertThat(blocks.deleteAll(List.of(writes.get(1).id(), writes.get(2).id(), writes.get(1).id(), idOf(cipher(99, 3)))))
        .isEqualTo(2);
    bytes -= 137 + 174;
    assertStats(blocks, 47, bytes);
    assertThat(blocks.count()).isEqualTo(47);
    assertThat(blocks.bytes()).isEqualTo(bytes);

    storage.close();
    LmdbStorage reopened = open(dir.resolve("store"), config(4 * MIB, 256 * MIB, false));
    BlockStore again = reopened.blockStore("blocks");
    assertStats(again, 47, bytes);
    assertThat(reopened.read(again::recount)).isEqualTo(new BlockStoreStats(47, bytes));
  }

  @Test
  void putAllReportsNewBlocksOnlyIncludingDuplicatesInsideTheBatch() {
    BlockWrite a = blockWrite(10, 10);
    BlockWrite b = blockWrite(11, 20);
    blocks.put(a.id(), a.cipher());
    assertThat(blocks.putAll(List.of(a, b, b))).isEqualTo(1);
    assertStats(blocks, 2, 30);
  }

  @Test
  void aBatchWithANullElementIsRefusedBeforeAnythingIsWritten() {
    List<BlockWrite> batch = new ArrayList<>();
    batch.add(blockWrite(12, 10));
    batch.add(null);
    assertThatThrownBy(() -> blocks.putAll(batch))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertStats(blocks, 0, 0);
  }

  @Test
  void blockWritesInACallersTransactionCommitWithItsOtherWritesOrNotAtAll() {
    Table<Long, BlockId> roots = storage.table("roots", Codecs.SORTABLE_LONG, Codecs.BLOCK_ID);
    BlockWrite w = blockWrite(13, 500);
    assertThatThrownBy(() -> storage.write(txn -> {
      blocks.put(txn, w.id(), w.cipher());
      roots.put(txn, 1L, w.id());
      throw new OutpostException(ErrorCode.CONFLICT, "stale base");
    })).isInstanceOf(OutpostException.class);
    assertThat(blocks.contains(w.id())).isFalse();
    assertStats(blocks, 0, 0);

    storage.write(txn -> {
      blocks.put(txn, w.id(), w.cipher());
      roots.put(txn, 1L, w.id());
      return null;
    });
    assertThat(blocks.contains(w.id())).isTrue();
    assertThat(storage.<Optional<BlockId>>read(txn -> roots.get(txn, 1L).filter(id -> blocks.contains(txn, id)))).contains(w.id());
    assertStats(blocks, 1, 500);
  }

  @Test
  void missingListsAbsentIdsInOrderOnce() {
    BlockWrite a = blockWrite(20, 5);
    BlockWrite b = blockWrite(21, 5);
    BlockWrite c = blockWrite(22, 5);
    blocks.put(b.id(), b.cipher());
    assertThat(blocks.missing(List.of(c.id(), a.id(), b.id(), c.id()))).containsExactly(c.id(), a.id());
    assertThat(blocks.missing(List.of())).isEmpty();
  }

  @Test
  void forEachIdVisitsEveryBlockOnceInIdOrderAcrossChunks() {
    int n = BlockStore.WALK_CHUNK * 2 + 17;
    List<BlockWrite> writes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      writes.add(blockWrite(1000 + i, 1 + i % 300));
    }
    blocks.putAll(writes);
    List<BlockId> seen = new ArrayList<>();
    long[] total = new long[1];
    blocks.forEachId((id, length) -> {
      seen.add(id);
      total[0] += length;
    });
    List<BlockId> expected = writes.stream().map(BlockWrite::id).sorted().toList();
    assertThat(seen).containsExactlyElementsOf(expected);
    assertThat(total[0]).isEqualTo(blocks.bytes());
  }

  @Test
  void forEachIdOnAnExactMultipleOfTheChunkAndOnAnEmptyStore() {
    List<BlockId> seen = new ArrayList<>();
    blocks.forEachId((id, length) -> seen.add(id));
    assertThat(seen).isEmpty();
    List<BlockWrite> writes = new ArrayList<>();
    for (int i = 0; i < BlockStore.WALK_CHUNK; i++) {
      writes.add(blockWrite(5000 + i, 8));
    }
    blocks.putAll(writes);
    blocks.forEachId((id, length) -> seen.add(id));
    assertThat(seen).hasSize(BlockStore.WALK_CHUNK).doesNotHaveDuplicates();
  }

  @Test
  void forEachIdVisitorMayWriteToTheStore() {
    for (int i = 0; i < 10; i++) {
      BlockWrite w = blockWrite(30 + i, 10);
      blocks.put(w.id(), w.cipher());
    }
    // The proxy drops entries it no longer wants while rebuilding; the visitor runs outside any txn.
    blocks.forEachId((id, length) -> blocks.delete(id));
    assertStats(blocks, 0, 0);
  }

  @Test
  void emptyCipherIsStoredAndCounted() {
    BlockId id = idOf(new byte[0]);
    assertThat(blocks.put(id, ByteBuffer.allocate(0))).isTrue();
    assertThat(blocks.withBlock(id, ByteBuffer::remaining)).contains(0);
    assertStats(blocks, 1, 0);
  }

  @Test
  void twoBlockStoresKeepSeparateBlocksAndStats() {
    BlockStore other = storage.blockStore("pinned");
    BlockWrite w = blockWrite(40, 33);
    other.put(w.id(), w.cipher());
    assertThat(blocks.contains(w.id())).isFalse();
    assertStats(blocks, 0, 0);
    assertStats(other, 1, 33);
  }

  /** Copies a buffer's remaining bytes. */
  static final class ByteBufferBytes {
    static byte[] of(ByteBuffer b) {
      byte[] out = new byte[b.remaining()];
      b.duplicate().get(out);
      return out;
    }
  }
}
