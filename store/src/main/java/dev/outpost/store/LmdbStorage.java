package dev.outpost.store;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Throttle;
import dev.outpost.core.Utf8;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of an LMDB environment: a directory holding named tables ({@link #table}) and block
 * stores ({@link #blockStore}). Everything happens in scoped transactions: {@link #read} and {@link
 * #write} run a callback with a transaction that ends when the callback returns.
 *
 * <p>Concurrency: reads run in parallel, each in its own snapshot; writes are serialised (one writer at a
 * time, others wait). At most {@link StorageConfig#maxReaders()} reads may be open at once; one more fails
 * at once with BUSY instead of waiting. Thread-safe.
 *
 * <p>Growth: when a write runs out of map, it is rolled back, the map doubles (up to {@link
 * StorageConfig#maxMapBytes()}) once no transaction is open, and the whole write callback runs again. At
 * the maximum the write fails with NO_SPACE and the store is unchanged and still usable.
 *
 * <p>Errors: every LMDB failure becomes an {@link OutpostException} (NO_SPACE for a full map or disk,
 * BUSY for exhausted reader slots, INTERNAL otherwise) with the LMDB exception as its cause. Messages name
 * the cause, not this store's directory (they reach clients); the directory goes to this server's log, one
 * line per {@value #FAILURE_LOG_SECONDS} s at most, counting the failures in between. Exceptions thrown by a
 * callback itself pass through unchanged (and roll a write back).
 *
 * <p>Threads: reads run on the calling thread, virtual or not (MDB_NOTLS ties reader slots to
 * transactions, not threads). Writes from a virtual thread are handed to an internal platform thread,
 * because LMDB's writer lock belongs to an OS thread.
 *
 * <p>Warning: callbacks must be short and must not block (no network I/O, no waiting on other threads) and
 * must not open another transaction of this storage from inside a write; a nested {@code write}, a {@code
 * read} inside a {@code write} and {@code close} inside a callback fail with INTERNAL. Bytes seen inside a
 * callback must be copied out before it returns.
 */
public final class LmdbStorage implements AutoCloseable {
  /** Named databases an environment may hold: tables, block stores and the internal stats table. */
  static final int MAX_DATABASES = 64;
  /** Upper bound on one encoded table value; bulk bytes belong in a {@link BlockStore}. */
  static final int MAX_RECORD_BYTES = 64 * 1024 * 1024;
  /** Name of the internal table holding every block store's count and bytes. */
  static final String STATS_TABLE = "outpost.stats";
  /** LMDB's data file in the store's directory. */
  static final String DATA_FILE = "data.mdb";
  /** At most one log line per this many seconds about this store's LMDB failures. */
  static final int FAILURE_LOG_SECONDS = 10;

  private static final Logger log = LoggerFactory.getLogger(LmdbStorage.class);
  private static final long PAGE_BYTES = 4096;
  private static final int POOLED_SCRATCHES = 64;
  private static final Pattern TABLE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  /** LMDB forbids opening one environment twice in a process: its locks would not protect it. */
  private static final Set<Path> OPEN_DIRECTORIES = ConcurrentHashMap.newKeySet();

  private final Path directory;
  private final StorageConfig config;
  private final Env<ByteBuffer> env;
  private final int maxKeyBytes;
  /** Serialises writers. */
  private final ReentrantLock writer = new ReentrantLock();
  /**
   * Every transaction holds the shared side; map growth and close take the exclusive side, because LMDB
   * allows resizing only while no transaction of the process is open.
   */
  private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
  private final Semaphore readerSlots;
  private final Throttle failureLog = new Throttle(Duration.ofSeconds(FAILURE_LOG_SECONDS));
  private final ConcurrentLinkedQueue<Scratch> scratches = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pooledScratches = new AtomicInteger();
  private final Set<String> openNames = ConcurrentHashMap.newKeySet();
  private Table<String, BlockStoreStats> statsTable;
  /** Guards {@link #writerThread}; never held while waiting for a transaction. */
  private final Object writerThreadLock = new Object();
  private ExecutorService writerThread;
  private volatile long mapBytes;
  private volatile boolean closed;

  private LmdbStorage(Path directory, StorageConfig config, Env<ByteBuffer> env) {
    this.directory = directory;
    this.config = config;
    this.env = env;
    this.maxKeyBytes = env.getMaxKeySize();
    this.readerSlots = new Semaphore(config.maxReaders());
    this.mapBytes = env.info().mapSize;
  }

  /**
   * Opens (creating if needed) the store in {@code directory}.
   *
   * @throws OutpostException INVALID_ARGUMENT if this process already has the directory open; INTERNAL if
   *     the directory cannot be created or holds something that is not a compatible LMDB store
   */
  public static LmdbStorage open(Path directory, StorageConfig config) {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(config, "config");
    Path real;
    try {
      Files.createDirectories(directory);
      real = directory.toRealPath();
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot create store directory " + directory, e);
    }
    if (!OPEN_DIRECTORIES.add(real)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "store " + real + " is already open in this process");
    }
    try {
      EnvFlags[] flags = config.durable()
          // MDB_NOTLS ties reader slots to transactions, not threads: pools and virtual threads do not leak slots.
          ? new EnvFlags[] {EnvFlags.MDB_NOTLS}
          : new EnvFlags[] {EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC, EnvFlags.MDB_NOMETASYNC};
      Env<ByteBuffer> env = Env.create(ByteBufferProxy.PROXY_OPTIMAL)
          .setMapSize(pageAligned(config.initialMapBytes()))
          .setMaxDbs(MAX_DATABASES)
          .setMaxReaders(config.maxReaders())
          .open(real.toFile(), flags);
      try {
        int stale = env.readerCheck();
        LmdbStorage storage = new LmdbStorage(real, config, env);
        log.info("opened store {} (map {} bytes, max {}, {} readers, durable={}, {} stale readers cleared)",
            real, storage.mapBytes, config.maxMapBytes(), config.maxReaders(), config.durable(), stale);
        return storage;
      } catch (RuntimeException e) {
        env.close();
        throw e;
      }
    } catch (LmdbException e) {
      OPEN_DIRECTORIES.remove(real);
      // Opening happens at a server's start, for its operator: the directory belongs in this message.
      OutpostException t = LmdbErrors.translate(e, real, "open");
      throw new OutpostException(t.code(), "store " + real + ": " + t.getMessage(), e);
    } catch (RuntimeException | Error e) {
      OPEN_DIRECTORIES.remove(real);
      throw e;
    }
  }

  /**
   * Opens, creating if absent, the table {@code name}. Each name may be opened once per storage.
   *
   * @param name 1-64 characters of {@code [a-z0-9._-]}, starting with a letter or digit; names starting
   *     with {@code outpost.} are reserved
   * @throws OutpostException INVALID_ARGUMENT for a bad or already opened name
   */
  public <K, V> Table<K, V> table(String name, Codec<K> keys, Codec<V> values) {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(values, "values");
    return new Table<>(this, name, openDatabase(name, false), keys, values);
  }

  /**
   * Opens, creating if absent, the block store {@code name} (names as for {@link #table}).
   *
   * @throws OutpostException INVALID_ARGUMENT for a bad or already opened name
   */
  public BlockStore blockStore(String name) {
    Dbi<ByteBuffer> blocks = openDatabase(name, false);
    return new BlockStore(this, name, blocks, stats());
  }

  /**
   * Runs {@code work} in a read transaction and returns its result.
   *
   * @throws OutpostException BUSY if {@link StorageConfig#maxReaders()} reads are already open; INTERNAL if
   *     called inside a write callback or after close, or on an LMDB failure
   */
  public <T> T read(Function<? super ReadTxn, T> work) {
    Objects.requireNonNull(work, "work");
    if (writer.isHeldByCurrentThread()) {
      throw new OutpostException(ErrorCode.INTERNAL, "read called inside a write callback; use the write's transaction");
    }
    if (!readerSlots.tryAcquire()) {
      throw new OutpostException(ErrorCode.BUSY,
          "all " + config.maxReaders() + " read transactions of the store are in use (maxReaders)");
    }
    try {
      gate.readLock().lock();
      try {
        ensureOpen();
        Scratch scratch = borrowScratch();
        try (Txn<ByteBuffer> txn = env.txnRead()) {
          ReadTxn readTxn = new ReadTxn(this, txn, scratch);
          try {
            return work.apply(readTxn);
          } finally {
            readTxn.end();
          }
        } catch (LmdbException e) {
          throw failure(e, "read");
        } finally {
          returnScratch(scratch);
        }
      } finally {
        gate.readLock().unlock();
      }
    } finally {
      readerSlots.release();
    }
  }

  /**
   * Runs {@code work} in a write transaction and commits if it returns normally; if it throws, nothing it
   * did is kept. Writers wait for each other.
   *
   * <p>Warning: {@code work} may run more than once (after map growth); keep side effects inside the
   * transaction.
   *
   * @throws OutpostException NO_SPACE if the change does not fit in {@link StorageConfig#maxMapBytes()} or
   *     on the disk (the store is left unchanged); INTERNAL if nested in another callback, after close, or
   *     on another LMDB failure
   */
  public <T> T write(Function<? super WriteTxn, T> work) {
    Objects.requireNonNull(work, "work");
    if (writer.isHeldByCurrentThread() || gate.getReadHoldCount() > 0) {
      throw new OutpostException(ErrorCode.INTERNAL, "write called inside another transaction callback");
    }
    if (Thread.currentThread().isVirtual()) {
      return writeOnPlatformThread(work);
    }
    return writeHere(work);
  }

  /**
   * LMDB's writer mutex belongs to the OS thread that began the write transaction; a virtual thread that
   * blocked inside the callback could resume on another carrier and fail to release it, stalling every
   * later writer. So writes from virtual threads run on a platform thread while the caller waits.
   */
  private <T> T writeOnPlatformThread(Function<? super WriteTxn, T> work) {
    CompletableFuture<T> result;
    try {
      result = CompletableFuture.supplyAsync(() -> writeHere(work), writerThread());
    } catch (RejectedExecutionException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "the store is closed", e);
    }
    try {
      // join() waits uninterruptibly: once submitted, the write commits or fails as a whole anyway.
      return result.join();
    } catch (CompletionException e) {
      switch (e.getCause()) {
        case RuntimeException r -> throw r;
        case Error err -> throw err;
        default -> throw e;
      }
    }
  }

  private ExecutorService writerThread() {
    synchronized (writerThreadLock) {
      ensureOpen();
      if (writerThread == null) {
        writerThread = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("outpost-lmdb-writer-" + directory.getFileName()).factory());
      }
      return writerThread;
    }
  }

  private <T> T writeHere(Function<? super WriteTxn, T> work) {
    writer.lock();
    try {
      while (true) {
        Attempt<T> attempt = attemptWrite(work);
        if (!attempt.mapFull()) {
          return attempt.value();
        }
        grow(attempt.cause());
      }
    } finally {
      writer.unlock();
    }
  }

  /**
   * Flushes committed data to disk. Needed only when {@link StorageConfig#durable()} is false; harmless
   * otherwise.
   */
  public void sync() {
    gate.readLock().lock();
    try {
      ensureOpen();
      env.sync(true);
    } catch (LmdbException e) {
      throw failure(e, "sync");
    } finally {
      gate.readLock().unlock();
    }
  }

  /** Current size of the memory map in bytes. */
  public long mapBytes() {
    return mapBytes;
  }

  /**
   * The data file's size, the map's and the filesystem's room ({@link StoreSpace}).
   *
   * @throws OutpostException INTERNAL if the file or filesystem cannot be looked at
   */
  public StoreSpace space() {
    try {
      FileStore fs = Files.getFileStore(directory);
      return new StoreSpace(Files.size(directory.resolve(DATA_FILE)), mapBytes, fs.getTotalSpace(),
          fs.getUsableSpace());
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot look at the store's file: " + e.getClass().getSimpleName(),
          e);
    }
  }

  public StorageConfig config() {
    return config;
  }

  public Path directory() {
    return directory;
  }

  /**
   * Waits for open transactions to end, then closes the environment. Idempotent. With {@code durable =
   * false}, call {@link #sync()} first if the last commits must survive an OS crash.
   */
  @Override
  public void close() {
    if (writer.isHeldByCurrentThread() || gate.getReadHoldCount() > 0) {
      throw new OutpostException(ErrorCode.INTERNAL, "close called inside a transaction callback");
    }
    gate.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      synchronized (writerThreadLock) {
        if (writerThread != null) {
          writerThread.shutdown();
        }
      }
      try {
        env.close();
      } finally {
        OPEN_DIRECTORIES.remove(directory);
      }
      log.info("closed store {}", directory);
    } finally {
      gate.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "LmdbStorage[" + directory + "]";
  }

  int maxKeyBytes() {
    return maxKeyBytes;
  }

  private synchronized Table<String, BlockStoreStats> stats() {
    if (statsTable == null) {
      statsTable = new Table<>(this, STATS_TABLE, openDatabase(STATS_TABLE, true), Codecs.UTF8, BlockStoreStats.CODEC);
    }
    return statsTable;
  }

  private Dbi<ByteBuffer> openDatabase(String name, boolean internal) {
    if (name == null || !TABLE_NAME.matcher(name).matches() || (!internal && name.startsWith("outpost."))) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "table name " + name + " must match " + TABLE_NAME.pattern() + " and not start with 'outpost.'");
    }
    if (!openNames.add(name)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "table " + name + " is already open on " + this);
    }
    byte[] nameBytes = Utf8.encode(name);
    try {
      // Created in our own write transaction, so it is serialised with writers and survives map growth.
      return write(txn -> env.openDbi(txn.lmdb(this), nameBytes, null, false, DbiFlags.MDB_CREATE));
    } catch (RuntimeException e) {
      openNames.remove(name);
      throw e;
    }
  }

  private <T> Attempt<T> attemptWrite(Function<? super WriteTxn, T> work) {
    gate.readLock().lock();
    try {
      ensureOpen();
      Scratch scratch = borrowScratch();
      WriteTxn writeTxn = null;
      try (Txn<ByteBuffer> txn = env.txnWrite()) {
        writeTxn = new WriteTxn(this, txn, scratch);
        T value;
        try {
          value = work.apply(writeTxn);
        } finally {
          writeTxn.end();
        }
        if (writeTxn.hitMapFull()) {
          // The callback swallowed MDB_MAP_FULL; LMDB has poisoned the transaction, so closing aborts it.
          return new Attempt<>(null, true, null);
        }
        txn.commit();
        return new Attempt<>(value, false, null);
      } catch (RuntimeException e) {
        if (e instanceof Env.MapFullException || (writeTxn != null && writeTxn.hitMapFull())) {
          return new Attempt<>(null, true, e);
        }
        if (e instanceof LmdbException lmdb) {
          throw failure(lmdb, "write");
        }
        throw e;
      } finally {
        returnScratch(scratch);
      }
    } finally {
      gate.readLock().unlock();
    }
  }

  /** Called by the writer, holding no transaction. */
  private void grow(RuntimeException cause) {
    long current = mapBytes;
    long max = config.maxMapBytes();
    if (current >= max) {
      throw logged(new OutpostException(ErrorCode.NO_SPACE,
          "the store is full: the write does not fit in maxMapBytes = " + max + " bytes; it was rolled back", cause));
    }
    long next = Math.min(max, pageAligned(Math.max(2 * current, current + PAGE_BYTES)));
    gate.writeLock().lock();
    try {
      ensureOpen();
      env.setMapSize(next);
      mapBytes = env.info().mapSize;
    } catch (LmdbException e) {
      throw failure(e, "map growth");
    } finally {
      gate.writeLock().unlock();
    }
    log.info("grew the map of {} from {} to {} bytes (max {})", directory, current, mapBytes, max);
  }

  private void ensureOpen() {
    if (closed) {
      throw new OutpostException(ErrorCode.INTERNAL, "the store is closed");
    }
  }

  /** The exception for an LMDB failure of {@code what} ({@link LmdbErrors}), {@link #logged}. */
  private OutpostException failure(LmdbException e, String what) {
    return logged(LmdbErrors.translate(e, directory, what));
  }

  /**
   * Puts {@code failure} in this server's log with the directory its message leaves out, throttled: a full disk
   * fails every write, and one line per {@value #FAILURE_LOG_SECONDS} s says so as well as thousands.
   */
  private OutpostException logged(OutpostException failure) {
    long held = failureLog.pass();
    if (held >= 0) {
      String more = Throttle.heldNote(held);
      if (failure.code() == ErrorCode.INTERNAL) {
        log.warn("store {}: {}{}", directory, failure.getMessage(), more, failure);
      } else {
        log.warn("store {}: {}{}", directory, failure.getMessage(), more);
      }
    }
    return failure;
  }

  private Scratch borrowScratch() {
    Scratch s = scratches.poll();
    if (s == null) {
      return new Scratch(maxKeyBytes, MAX_RECORD_BYTES);
    }
    pooledScratches.decrementAndGet();
    return s;
  }

  private void returnScratch(Scratch s) {
    if (s.worthPooling() && pooledScratches.incrementAndGet() <= POOLED_SCRATCHES) {
      scratches.offer(s);
    } else if (s.worthPooling()) {
      pooledScratches.decrementAndGet();
    }
  }

  private static long pageAligned(long bytes) {
    long rounded = (bytes + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES;
    return Math.min(rounded, StorageConfig.MAX_MAP_BYTES);
  }

  private record Attempt<T>(T value, boolean mapFull, RuntimeException cause) {}
}
