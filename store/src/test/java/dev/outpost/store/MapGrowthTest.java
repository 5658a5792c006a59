package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MapGrowthTest extends StoreTestBase {
  private static final long TINY = StorageConfig.MIN_MAP_BYTES;

  @Test
  void aTinyMapGrowsTransparently() {
    LmdbStorage storage = open(config(TINY, 256 * MIB, false));
    BlockStore blocks = storage.blockStore("blocks");
    List<BlockWrite> writes = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      writes.add(blockWrite(i, 64 * 1024));
    }
    assertThat(blocks.putAll(writes)).isEqualTo(64);
    assertThat(storage.mapBytes()).isGreaterThan(4 * MIB);
    assertStats(blocks, 64, 64L * 64 * 1024);
    for (BlockWrite w : writes) {
      assertThat(blocks.withBlock(w.id(), b -> b.equals(w.cipher()))).contains(true);
    }
  }

  @Test
  void aWriteTooBigForTheMaximumFailsWithNoSpaceAndLeavesTheStoreUsable() {
    LmdbStorage storage = open(config(TINY, 1 * MIB, true));
    BlockStore blocks = storage.blockStore("blocks");
    Table<Long, byte[]> table = storage.table("records", Codecs.SORTABLE_LONG, Codecs.BYTES);
    BlockWrite small = blockWrite(1, 10_000);
    blocks.put(small.id(), small.cipher());
    storage.write(txn -> {
      table.put(txn, 1L, new byte[] {1, 2, 3});
      return null;
    });

    BlockWrite huge = blockWrite(2, 2 * 1024 * 1024);
    assertThatThrownBy(() -> blocks.put(huge.id(), huge.cipher()))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE);
          assertThat(e.getCause()).isNotNull();
        })
        .hasMessageContaining("maxMapBytes = 1048576");

    assertThat(storage.mapBytes()).isEqualTo(1 * MIB);
    assertThat(blocks.contains(huge.id())).isFalse();
    assertStats(blocks, 1, 10_000);
    assertThat(blocks.withBlock(small.id(), b -> b.equals(small.cipher()))).contains(true);
    assertThat(storage.<byte[]>read(txn -> table.get(txn, 1L).orElseThrow())).containsExactly(1, 2, 3);

    BlockWrite next = blockWrite(3, 20_000);
    assertThat(blocks.put(next.id(), next.cipher())).isTrue();
    storage.write(txn -> {
      table.put(txn, 2L, new byte[100]);
      return null;
    });
    assertStats(blocks, 2, 30_000);
  }

  @Test
  void aBatchThatRunsOutOfSpaceHalfwayLeavesNothing() {
    LmdbStorage storage = open(config(TINY, 1 * MIB, false));
    BlockStore blocks = storage.blockStore("blocks");
    BlockWrite before = blockWrite(100, 1000);
    blocks.put(before.id(), before.cipher());
    List<BlockWrite> batch = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      batch.add(blockWrite(200 + i, 64 * 1024));
    }
    assertThatThrownBy(() -> blocks.putAll(batch))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE));
    assertThat(blocks.missing(batch.stream().map(BlockWrite::id).toList())).hasSize(40);
    assertStats(blocks, 1, 1000);
    assertThat(storage.read(blocks::recount)).isEqualTo(new BlockStoreStats(1, 1000));
    assertThat(blocks.putAll(batch.subList(0, 4))).isEqualTo(4);
  }

  @Test
  void theWholeWriteFunctionIsRetriedAfterGrowthEvenIfItSwallowedTheMapFull() {
    LmdbStorage storage = open(config(TINY, 64 * MIB, false));
    Table<Long, byte[]> table = storage.table("records", Codecs.SORTABLE_LONG, Codecs.BYTES);
    AtomicInteger runs = new AtomicInteger();
    String result = storage.write(txn -> {
      runs.incrementAndGet();
      try {
        table.put(txn, 1L, new byte[512 * 1024]);
        return "stored";
      } catch (RuntimeException e) {
        return "swallowed";
      }
    });
    assertThat(result).isEqualTo("stored");
    assertThat(runs.get()).isGreaterThan(1);
    assertThat(storage.<Integer>read(txn -> table.get(txn, 1L).orElseThrow().length)).isEqualTo(512 * 1024);
  }

  @Test
  void aGrownStoreReopensWithItsData() {
    LmdbStorage storage = open(config(TINY, 64 * MIB, true));
    BlockStore blocks = storage.blockStore("blocks");
    List<BlockWrite> writes = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      writes.add(blockWrite(300 + i, 100_000));
    }
    blocks.putAll(writes);
    storage.close();

    LmdbStorage reopened = open(dir.resolve("store"), config(TINY, 64 * MIB, true));
    BlockStore again = reopened.blockStore("blocks");
    assertStats(again, 20, 2_000_000);
    assertThat(again.missing(writes.stream().map(BlockWrite::id).toList())).isEmpty();
    BlockWrite more = blockWrite(400, 300_000);
    assertThat(again.put(more.id(), ByteBuffer.wrap(cipher(400, 300_000)))).isTrue();
  }
}
