package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the store tests: a temporary directory, storages closed after each test, a timeout so a
 * deadlock fails instead of hanging, and background threads whose failures fail the test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class StoreTestBase {
  static final long MIB = 1024 * 1024;

  @TempDir Path dir;

  private final List<LmdbStorage> opened = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Queue<Throwable> backgroundFailures = new ConcurrentLinkedQueue<>();

  static StorageConfig config(long initialMapBytes, long maxMapBytes, boolean durable) {
    return new StorageConfig(initialMapBytes, maxMapBytes, 16, durable);
  }

  LmdbStorage open(StorageConfig config) {
    return open(dir.resolve("store"), config);
  }

  LmdbStorage open(Path where, StorageConfig config) {
    LmdbStorage storage = LmdbStorage.open(where, config);
    opened.add(storage);
    return storage;
  }

  LmdbStorage openDefault() {
    return open(config(4 * MIB, 256 * MIB, false));
  }

  /** Starts a thread whose exceptions fail the test; {@link #joinBackground} waits for all. */
  Thread background(String name, Runnable body) {
    Thread t = Thread.ofPlatform().name(name).unstarted(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        backgroundFailures.add(e);
      }
    });
    threads.add(t);
    t.start();
    return t;
  }

  void joinBackground() throws InterruptedException {
    for (Thread t : threads) {
      t.join();
    }
    assertNoBackgroundFailures();
  }

  void assertNoBackgroundFailures() {
    Throwable first = backgroundFailures.peek();
    if (first != null) {
      throw new AssertionError(backgroundFailures.size() + " background failure(s), first: " + first, first);
    }
  }

  @AfterEach
  void closeEverything() throws InterruptedException {
    for (Thread t : threads) {
      t.interrupt();
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
    for (LmdbStorage s : opened) {
      s.close();
    }
    assertNoBackgroundFailures();
  }

  /** A block whose id really is the SHA-256 of its bytes, so tests look like production data. */
  static byte[] cipher(int seed, int length) {
    byte[] bytes = new byte[length];
    long x = seed * 0x9E3779B97F4A7C15L + 1;
    for (int i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      bytes[i] = (byte) x;
    }
    return bytes;
  }

  static BlockId idOf(byte[] cipher) {
    try {
      return BlockId.of(MessageDigest.getInstance("SHA-256").digest(cipher));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static BlockWrite blockWrite(int seed, int length) {
    byte[] c = cipher(seed, length);
    return new BlockWrite(idOf(c), ByteBuffer.wrap(c));
  }

  static void assertStats(BlockStore store, long count, long bytes) {
    assertThat(store.stats()).isEqualTo(new BlockStoreStats(count, bytes));
  }
}
