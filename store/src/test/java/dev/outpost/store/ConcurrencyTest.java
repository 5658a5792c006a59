package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConcurrencyTest extends StoreTestBase {
  @Test
  void readersSeeConsistentSnapshotsWhileOneWriterWritesAndTheMapGrows() throws InterruptedException {
    // A tiny map, so the writer grows it several times while readers are active.
    LmdbStorage storage = open(new StorageConfig(StorageConfig.MIN_MAP_BYTES, 256 * MIB, 8, false));
    Table<String, Long> pair = storage.table("pair", Codecs.UTF8, Codecs.LONG);
    BlockStore blocks = storage.blockStore("blocks");
    int writes = 300;
    AtomicBoolean done = new AtomicBoolean();
    List<AtomicLong> readsPerReader = new ArrayList<>();

    for (int r = 0; r < 4; r++) {
      AtomicLong reads = new AtomicLong();
      readsPerReader.add(reads);
      background("reader-" + r, () -> {
        long lastSeen = -1;
        while (!done.get() || reads.get() == 0) {
          long[] seen = storage.read(txn -> {
            long a = pair.get(txn, "a").orElse(0L);
            long b = pair.get(txn, "b").orElse(0L);
            return new long[] {a, b, blocks.stats(txn).count()};
          });
          // a, b and the block count are written in one transaction: a snapshot has all or none.
          assertThat(seen[1]).isEqualTo(seen[0]);
          assertThat(seen[2]).isEqualTo(seen[0]);
          assertThat(seen[0]).isGreaterThanOrEqualTo(lastSeen);
          lastSeen = seen[0];
          reads.incrementAndGet();
        }
      });
    }
    Thread writer = background("writer", () -> {
      try {
        for (long i = 1; i <= writes; i++) {
          long v = i;
          BlockWrite w = blockWrite((int) i, 16 * 1024);
          storage.write(txn -> {
            pair.put(txn, "a", v);
            blocks.put(txn, w.id(), w.cipher());
            pair.put(txn, "b", v);
            return null;
          });
        }
      } finally {
        done.set(true);
      }
    });
    writer.join();
    joinBackground();
    assertThat(storage.mapBytes()).isGreaterThan(StorageConfig.MIN_MAP_BYTES);
    assertThat(blocks.count()).isEqualTo(writes);
    assertThat(readsPerReader).allSatisfy(n -> assertThat(n.get()).isPositive());
  }

  @Test
  void writersAreSerialised() throws InterruptedException {
    LmdbStorage storage = openDefault();
    Table<String, Long> counter = storage.table("counter", Codecs.UTF8, Codecs.LONG);
    int threads = 4;
    int increments = 200;
    for (int t = 0; t < threads; t++) {
      background("writer-" + t, () -> {
        for (int i = 0; i < increments; i++) {
          storage.write(txn -> {
            counter.put(txn, "n", counter.get(txn, "n").orElse(0L) + 1);
            return null;
          });
        }
      });
    }
    joinBackground();
    assertThat(storage.<Long>read(txn -> counter.get(txn, "n").orElseThrow())).isEqualTo((long) threads * increments);
  }

  @Test
  void runningOutOfReaderSlotsIsBusyNotAHang() throws InterruptedException {
    LmdbStorage storage = open(new StorageConfig(4 * MIB, 64 * MIB, 2, false));
    CountDownLatch holding = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    for (int i = 0; i < 2; i++) {
      background("holder-" + i, () -> storage.read(txn -> {
        holding.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        return null;
      }));
    }
    holding.await();
    try {
      assertThatThrownBy(() -> storage.read(txn -> null))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY))
          .hasMessageContaining("all 2 read transactions");
      // Writers need no reader slot.
      assertThat(storage.<String>write(txn -> "written")).isEqualTo("written");
    } finally {
      release.countDown();
    }
    joinBackground();
    assertThat(storage.<Integer>read(txn -> 1)).isEqualTo(1);
  }

  @Test
  void virtualThreadsReadInPlaceAndWriteThroughAPlatformThread() throws Exception {
    LmdbStorage storage = openDefault();
    Table<String, Long> t = storage.table("t", Codecs.UTF8, Codecs.LONG);
    List<Boolean> writerWasVirtual = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> virtuals = new ArrayList<>();
    List<Long> readBack = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int i = 0; i < 20; i++) {
      String key = "k" + i;
      long value = i;
      virtuals.add(Thread.ofVirtual().start(() -> {
        try {
          storage.write(txn -> {
            writerWasVirtual.add(Thread.currentThread().isVirtual());
            t.put(txn, key, value);
            return null;
          });
          readBack.add(storage.<Long>read(txn -> t.get(txn, key).orElseThrow()));
        } catch (Throwable e) {
          readBack.add(-1L);
          throw e;
        }
      }));
    }
    for (Thread v : virtuals) {
      v.join();
    }
    assertThat(readBack).hasSize(20).doesNotContain(-1L);
    assertThat(writerWasVirtual).hasSize(20).containsOnly(false);
    assertThat(storage.<Long>read(t::count)).isEqualTo(20);
    // Errors thrown inside the hop reach the virtual caller unchanged.
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    Thread.ofVirtual().start(() -> {
      try {
        storage.write(txn -> {
          throw new OutpostException(ErrorCode.CONFLICT, "stale");
        });
      } catch (Throwable e) {
        failure.set(e);
      }
    }).join();
    assertThat(failure.get()).isInstanceOfSatisfying(OutpostException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
  }

  @Test
  void closeWaitsForOpenReadsToFinish() throws InterruptedException {
    LmdbStorage storage = openDefault();
    Table<String, Long> t = storage.table("t", Codecs.UTF8, Codecs.LONG);
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    AtomicBoolean readCompleted = new AtomicBoolean();
    background("reader", () -> storage.read(txn -> {
      inside.countDown();
      try {
        finish.await();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      t.get(txn, "x");
      readCompleted.set(true);
      return null;
    }));
    inside.await();
    Thread closer = background("closer", storage::close);
    // Wait (without sleeping) until the closer is parked behind the open read, then let the read finish.
    while (closer.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    finish.countDown();
    closer.join();
    joinBackground();
    assertThat(readCompleted).isTrue();
  }
}
