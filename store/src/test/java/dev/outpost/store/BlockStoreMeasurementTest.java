package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Rough numbers for the README, not a benchmark (JMH lives in the bench module): how long a cache index
 * rebuild walks ids, and BlockStore.get throughput from a warm map. Off by default; run with {@code mvn
 * -pl store test -Dtest=BlockStoreMeasurementTest -Doutpost.measure=true}.
 */
@EnabledIfSystemProperty(named = "outpost.measure", matches = "true")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class BlockStoreMeasurementTest extends StoreTestBase {
  @Test
  void forEachIdOverManySmallBlocks() {
    for (int entries : new int[] {100_000, 1_000_000}) {
      LmdbStorage storage = open(dir.resolve("walk-" + entries), config(64 * MIB, 4096 * MIB, false));
      BlockStore blocks = storage.blockStore("blocks");
      SplittableRandom random = new SplittableRandom(entries);
      byte[] value = new byte[100];
      long fillStart = System.nanoTime();
      for (int done = 0; done < entries; done += 10_000) {
        List<BlockWrite> batch = new ArrayList<>(10_000);
        for (int i = 0; i < 10_000; i++) {
          byte[] id = new byte[BlockId.BYTES];
          random.nextBytes(id);
          batch.add(new BlockWrite(BlockId.of(id), ByteBuffer.wrap(value)));
        }
        blocks.putAll(batch);
      }
      long fillMillis = (System.nanoTime() - fillStart) / 1_000_000;
      System.out.printf("%,d blocks of 100 B: putAll in batches of 10k took %,d ms%n", entries, fillMillis);
      for (int run = 0; run < 3; run++) {
        long[] seen = new long[2];
        long start = System.nanoTime();
        blocks.forEachId((id, length) -> {
          seen[0]++;
          seen[1] += length;
        });
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(seen[0]).isEqualTo(entries);
        assertThat(seen[1]).isEqualTo(100L * entries);
        System.out.printf("  forEachId run %d: %,d ids in %,d ms (%,.0f ids/s)%n", run, entries, millis,
            entries * 1000.0 / Math.max(1, millis));
      }
      storage.close();
    }
  }

  @Test
  void getThroughputOf64KiBBlocksFromAWarmMap() throws InterruptedException {
    LmdbStorage storage = open(dir.resolve("get"), config(64 * MIB, 1024 * MIB, false));
    BlockStore blocks = storage.blockStore("blocks");
    int count = 2048;
    int size = 64 * 1024;
    List<BlockId> ids = new ArrayList<>();
    List<BlockWrite> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      BlockWrite w = blockWrite(i, size);
      ids.add(w.id());
      batch.add(w);
      if (batch.size() == 256) {
        blocks.putAll(batch);
        batch.clear();
      }
    }
    PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    for (int pass = 0; pass < 3; pass++) {
      for (BlockId id : ids) {
        blocks.get(id, alloc).orElseThrow().release();
      }
    }
    int passes = 10;
    long start = System.nanoTime();
    for (int pass = 0; pass < passes; pass++) {
      for (BlockId id : ids) {
        ByteBuf b = blocks.get(id, alloc).orElseThrow();
        b.release();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double mib = (double) passes * count * size / MIB;
    System.out.printf("get(): %d x %d KiB from a warm map, 1 thread: %,.0f MiB/s, %,.0f gets/s%n",
        passes * count, size / 1024, mib / seconds, passes * count / seconds);

    long zeroCopyStart = System.nanoTime();
    long sum = 0;
    for (int pass = 0; pass < passes; pass++) {
      for (BlockId id : ids) {
        sum += blocks.withBlock(id, b -> (long) b.get(b.limit() - 1)).orElseThrow();
      }
    }
    double zeroCopySeconds = (System.nanoTime() - zeroCopyStart) / 1e9;
    System.out.printf("withBlock() lookup without copy, 1 thread: %,.0f lookups/s (checksum %d)%n",
        passes * count / zeroCopySeconds, sum);

    int threads = 2;
    long parallelStart = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      background("getter-" + t, () -> {
        for (int pass = 0; pass < passes; pass++) {
          for (BlockId id : ids) {
            blocks.get(id, alloc).orElseThrow().release();
          }
        }
      });
    }
    joinBackground();
    double parallelSeconds = (System.nanoTime() - parallelStart) / 1e9;
    System.out.printf("get(): %d threads together: %,.0f MiB/s%n", threads, threads * mib / parallelSeconds);
  }
}
