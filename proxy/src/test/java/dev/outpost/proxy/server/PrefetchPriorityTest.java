package dev.outpost.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.RootRef;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.BlockIds;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.cache.BlockFlights;
import dev.outpost.proxy.cache.BlockSource;
import dev.outpost.proxy.metrics.ProxyMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader's own misses go first: look-ahead starts no batch while a reader waits for blocks it missed. */
class PrefetchPriorityTest {
  @TempDir
  Path dir;

  /** Answers only when told, so the test sees exactly what was asked while what. */
  private static final class HeldOrigin implements BlockSource {
    final Map<BlockId, byte[]> blocks = new HashMap<>();
    final List<BlockId> asked = new ArrayList<>();
    final List<Runnable> pending = new ArrayList<>();

    @Override
    public synchronized void fetch(List<BlockId> ids, Sink sink) {
      asked.addAll(ids);
      pending.add(() -> {
        ids.forEach(id -> sink.block(id, blocks.get(id).clone()));
        sink.done(null);
      });
    }

    void answerAll() {
      List<Runnable> now;
      synchronized (this) {
        now = new ArrayList<>(pending);
        pending.clear();
      }
      now.forEach(Runnable::run);
    }

    synchronized List<BlockId> asked() {
      return List.copyOf(asked);
    }
  }

  private static BlockId add(HeldOrigin origin, Random r) {
    byte[] b = new byte[4000];
    r.nextBytes(b);
    b[0] = BlockFormat.DATA_RAW; // a data block: nothing to expand
    BlockId id = BlockIds.of(b);
    origin.blocks.put(id, b);
    return id;
  }

  private static DirPage page(List<BlockId> files) {
    List<DirEntry> entries = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      RootRef root = new RootRef(files.get(i), 0, 4000, new byte[] {1, 2, 3});
      entries.add(new DirEntry("f" + i, new FileAttr(i + 1, FileType.FILE, 0644, 3990, 0, 1, Optional.of(root), "")));
    }
    return new DirPage(entries, false);
  }

  @Test
  void noLookAheadStartsWhileAReaderWaitsForItsOwnMissesAndItResumesAfter() {
    ProxyMetrics metrics = new ProxyMetrics();
    HeldOrigin origin = new HeldOrigin();
    Random r = new Random(11);
    BlockId readerBlock = add(origin, r);
    List<BlockId> listed = List.of(add(origin, r), add(origin, r), add(origin, r));
    try (BlockCache cache = BlockCache.open(dir, 64 << 20, 256L << 20, 1000, metrics)) {
      BlockFlights flights = new BlockFlights(cache, origin, Runnable::run, metrics);
      Prefetcher prefetcher = new Prefetcher(new Prefetcher.Policy(8 << 20, 64, 8 << 20, 8 << 20, 0), null, cache,
          flights, metrics, Runnable::run);

      var readerWait = flights.fetch(List.of(readerBlock));
      assertThat(flights.readerFlights()).isEqualTo(1);
      prefetcher.listed("/d", "", page(listed));
      // The reader is waiting: the look-ahead is queued, not on the link.
      assertThat(origin.asked()).containsExactly(readerBlock);
      assertThat(prefetcher.idle()).isFalse();

      origin.answerAll();
      assertThat(readerWait.get(readerBlock)).isCompleted();
      assertThat(flights.readerFlights()).isZero();
      // The reader's miss was answered: the queued look-ahead starts.
      assertThat(origin.asked()).containsExactly(readerBlock, listed.get(0), listed.get(1), listed.get(2));

      // A reader joining a look-ahead flight is not a miss of its own: it holds nothing back.
      var joined = flights.fetch(List.of(listed.get(1)));
      assertThat(flights.readerFlights()).isZero();
      origin.answerAll();
      assertThat(joined.get(listed.get(1)).join()).isPresent();
      assertThat(prefetcher.idle()).isTrue();
      cache.flushed().join();
      listed.forEach(id -> assertThat(cache.contains(id)).isTrue());
    }
  }

  @Test
  void aFailedReaderMissReleasesTheLookAheadToo() {
    ProxyMetrics metrics = new ProxyMetrics();
    HeldOrigin origin = new HeldOrigin();
    Random r = new Random(12);
    BlockId unknown = BlockIds.of(new byte[] {9, 9, 9});
    List<BlockId> listed = List.of(add(origin, r), add(origin, r));
    BlockSource failing = (ids, sink) -> {
      if (ids.contains(unknown)) {
        origin.pending.add(() -> sink.done(new dev.outpost.core.OutpostException(
            dev.outpost.core.ErrorCode.UNAVAILABLE, "link down")));
      } else {
        origin.fetch(ids, sink);
      }
    };
    try (BlockCache cache = BlockCache.open(dir, 64 << 20, 256L << 20, 1000, metrics)) {
      BlockFlights flights = new BlockFlights(cache, failing, Runnable::run, metrics);
      Prefetcher prefetcher = new Prefetcher(new Prefetcher.Policy(8 << 20, 64, 8 << 20, 8 << 20, 0), null, cache,
          flights, metrics, Runnable::run);
      var readerWait = flights.fetch(List.of(unknown));
      prefetcher.listed("/d", "", page(listed));
      assertThat(origin.asked()).isEmpty();
      origin.answerAll();
      assertThat(readerWait.get(unknown)).isCompletedExceptionally();
      assertThat(origin.asked()).containsExactlyElementsOf(listed);
      origin.answerAll();
      assertThat(prefetcher.idle()).isTrue();
    }
  }
}
