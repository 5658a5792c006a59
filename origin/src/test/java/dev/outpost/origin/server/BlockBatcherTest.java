package dev.outpost.origin.server;

import static dev.outpost.origin.server.OriginFixture.block;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.origin.server.OriginFixture.TestBlock;
import dev.outpost.origin.volume.LmdbVolume;
import dev.outpost.origin.volume.Volume;
import dev.outpost.origin.volume.Volume.VerifiedBlock;
import dev.outpost.store.StorageConfig;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batcher against a real volume, with the writer thread held while uploads queue so batch boundaries are
 * deterministic; a volume proxy can make any batch holding a chosen id fail.
 */
class BlockBatcherTest {
  private static final StorageConfig CONFIG = new StorageConfig(1 << 20, 1L << 30, 64, true);

  @TempDir
  Path dir;
  private LmdbVolume real;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final ExecutorService writer = Executors.newSingleThreadExecutor();
  private final OriginMetrics metrics = new OriginMetrics();
  private final Random random = new Random(11);
  /** Ids whose presence in a putBlocks batch makes that whole batch fail, as a full disk would. */
  private final java.util.Set<BlockId> poisoned = ConcurrentHashMap.newKeySet();
  private final List<List<BlockId>> batches = new ArrayList<>();
  private Volume volume;

  @BeforeEach
  void open() {
    real = LmdbVolume.create(dir, "test", new byte[dev.outpost.crypto.VolumeKey.VOLUME_ID_BYTES], CONFIG, clock);
    volume = (Volume) Proxy.newProxyInstance(Volume.class.getClassLoader(), new Class<?>[] {Volume.class},
        (proxy, method, args) -> {
          if (method.getName().equals("putBlocks")) {
            @SuppressWarnings("unchecked")
            List<VerifiedBlock> blocks = (List<VerifiedBlock>) args[0];
            List<BlockId> ids = blocks.stream().map(VerifiedBlock::id).toList();
            synchronized (batches) {
              batches.add(ids);
            }
            if (ids.stream().anyMatch(poisoned::contains)) {
              throw new OutpostException(ErrorCode.NO_SPACE, "test: batch refused");
            }
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @AfterEach
  void close() throws Exception {
    writer.shutdownNow();
    writer.awaitTermination(10, TimeUnit.SECONDS);
    real.close();
  }

  /** What an upload was told: null = stored. */
  private final Map<BlockId, OutpostException> outcomes = new ConcurrentHashMap<>();
  private final AtomicInteger told = new AtomicInteger();

  private BlockBatcher.Upload upload(TestBlock b) {
    VerifiedBlock v = volume.verifyBlock(b.id(), ByteBuffer.wrap(b.bytes()));
    return new BlockBatcher.Upload() {
      @Override
      public VerifiedBlock block() {
        return v;
      }

      @Override
      public void stored() {
        assertThat(outcomes.putIfAbsent(b.id(), new OutpostException(ErrorCode.INTERNAL, "stored"))).isNull();
        told.incrementAndGet();
      }

      @Override
      public void failed(OutpostException why) {
        assertThat(outcomes.putIfAbsent(b.id(), why)).isNull();
        told.incrementAndGet();
      }
    };
  }

  private static boolean stored(OutpostException outcome) {
    return outcome != null && outcome.code() == ErrorCode.INTERNAL && outcome.getMessage().equals("stored");
  }

  /** Holds the writer thread until the returned latch is opened. */
  private CountDownLatch holdWriter() {
    CountDownLatch release = new CountDownLatch(1);
    writer.execute(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    return release;
  }

  private void awaitWriterIdle() throws Exception {
    writer.submit(() -> { }).get(10, TimeUnit.SECONDS);
    writer.submit(() -> { }).get(10, TimeUnit.SECONDS);
  }

  @Test
  void queuedUploadsShareOneDurableTransactionAndAllSurviveAReopen() throws Exception {
    BlockBatcher batcher = new BlockBatcher(volume, writer, metrics, 1000);
    List<TestBlock> blocks = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      blocks.add(block(random, 2000 + i));
    }
    CountDownLatch release = holdWriter();
    blocks.forEach(b -> batcher.submit(upload(b)));
    assertThat(told).hasValue(0);
    release.countDown();
    awaitWriterIdle();
    assertThat(told).hasValue(40);
    assertThat(outcomes.values()).allMatch(BlockBatcherTest::stored);
    assertThat(batches).hasSize(1);
    assertThat(metrics.count(OriginMetrics.BLOCK_BATCHES)).isEqualTo(1);

    real.close();
    real = LmdbVolume.open(dir, CONFIG, clock, 100);
    assertThat(real.missingBlocks(blocks.stream().map(TestBlock::id).toList())).isEmpty();
  }

  @Test
  void batchesAreBoundedInBlocks() throws Exception {
    BlockBatcher batcher = new BlockBatcher(volume, writer, metrics, 10_000);
    CountDownLatch release = holdWriter();
    int n = BlockBatcher.MAX_BATCH_BLOCKS + 10;
    for (int i = 0; i < n; i++) {
      batcher.submit(upload(block(random, 100)));
    }
    release.countDown();
    awaitWriterIdle();
    assertThat(told).hasValue(n);
    assertThat(batches).extracting(List::size).containsExactly(BlockBatcher.MAX_BATCH_BLOCKS, 10);
  }

  @Test
  void aFailingBatchIsRetriedOneByOneSoOnlyTheBadBlockFails() throws Exception {
    BlockBatcher batcher = new BlockBatcher(volume, writer, metrics, 1000);
    List<TestBlock> blocks = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      blocks.add(block(random, 1500));
    }
    poisoned.add(blocks.get(4).id());
    CountDownLatch release = holdWriter();
    blocks.forEach(b -> batcher.submit(upload(b)));
    release.countDown();
    awaitWriterIdle();
    assertThat(told).hasValue(9);
    for (int i = 0; i < 9; i++) {
      OutpostException outcome = outcomes.get(blocks.get(i).id());
      if (i == 4) {
        assertThat(outcome.code()).isEqualTo(ErrorCode.NO_SPACE);
      } else {
        assertThat(stored(outcome)).as("block " + i).isTrue();
      }
    }
    assertThat(real.missingBlocks(blocks.stream().map(TestBlock::id).toList())).containsExactly(blocks.get(4).id());
  }

  @Test
  void touchesRideInTheNextBatchAndMaintenanceFlushesThemFirst() throws Exception {
    TestBlock b = block(random, 700);
    real.putBlock(b.id(), ByteBuffer.wrap(b.bytes()));
    clock.advance(Duration.ofMinutes(10));
    BlockBatcher batcher = new BlockBatcher(volume, writer, metrics, 1000);
    CountDownLatch release = holdWriter();
    long grace = Duration.ofMinutes(1).toMillis();
    // GC queued before the touch's drain task: only its flush can write the touch before the sweep.
    var gc = writer.submit(() -> {
      batcher.flush();
      return real.collectGarbage(grace, clock.millis());
    });
    batcher.touch(List.of(b.id()));
    release.countDown();
    assertThat(gc.get(10, TimeUnit.SECONDS).blocksFreed()).as("touched just now: kept").isZero();
    awaitWriterIdle();
    assertThat(batches).hasSize(1);
    assertThat(batches.getFirst()).isEmpty();
    clock.advance(Duration.ofMinutes(2));
    assertThat(real.collectGarbage(grace, clock.millis()).blocksFreed()).as("untouched past the grace").isEqualTo(1);
  }

  @Test
  void aFullQueueAnswersBusyAndAStoppedWriterUnavailableAndEveryUploadIsTold() throws Exception {
    BlockBatcher batcher = new BlockBatcher(volume, writer, metrics, 3);
    CountDownLatch release = holdWriter();
    List<TestBlock> blocks = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      blocks.add(block(random, 300));
      batcher.submit(upload(blocks.getLast()));
    }
    assertThat(catchThrowableOfType(OutpostException.class, () -> batcher.touch(List.of(blocks.get(0).id()))).code())
        .isEqualTo(ErrorCode.BUSY);
    assertThat(outcomes.get(blocks.get(3).id()).code()).isEqualTo(ErrorCode.BUSY);
    assertThat(outcomes.get(blocks.get(4).id()).code()).isEqualTo(ErrorCode.BUSY);
    release.countDown();
    awaitWriterIdle();
    assertThat(told).hasValue(5);

    writer.shutdown();
    TestBlock late = block(random, 300);
    batcher.submit(upload(late));
    assertThat(outcomes.get(late.id()).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(told).hasValue(6);
    assertThat(real.missingBlocks(List.of(late.id()))).containsExactly(late.id());
  }

  @Test
  void uploadsFromManyThreadsAreAllToldExactlyOnce() throws Exception {
    BlockBatcher batcher = new BlockBatcher(volume, writer, metrics, 100_000);
    ExecutorService senders = Executors.newFixedThreadPool(4);
    List<TestBlock> blocks = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      blocks.add(block(random, 256 + i));
    }
    try {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        List<TestBlock> mine = blocks.subList(t * 100, (t + 1) * 100);
        sent.add(senders.submit(() -> mine.forEach(b -> batcher.submit(upload(b)))));
      }
      for (var f : sent) {
        f.get(10, TimeUnit.SECONDS);
      }
    } finally {
      senders.shutdown();
    }
    for (int i = 0; i < 100 && told.get() < 400; i++) {
      awaitWriterIdle();
    }
    assertThat(told).hasValue(400);
    assertThat(outcomes.values()).allMatch(BlockBatcherTest::stored);
    assertThat(real.missingBlocks(blocks.stream().map(TestBlock::id).toList())).isEmpty();
    int written = 0;
    for (Collection<BlockId> b : batches) {
      written += b.size();
    }
    assertThat(written).isEqualTo(400);
  }
}
