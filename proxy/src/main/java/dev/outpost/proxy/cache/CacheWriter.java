package dev.outpost.proxy.cache;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Throttle;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.store.BlockStore;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.Table;
import dev.outpost.transport.Errors;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes the cache's LMDB environment. Callers on any thread (event loops included)
 * enqueue and return at once; the thread drains what has accumulated and commits it, so a burst of fetched
 * blocks costs one commit, not one each.
 *
 * <p>Each batch is two transactions: first its deletes and state counters, then its puts. So a put that finds no
 * room never takes the deletes that make room down with it, and the puts never commit while a delete queued
 * before them is still pending. A delete that fails is kept and tried again with the next batch (at most
 * {@value #MAX_PENDING_DELETES}); a put that fails leaves its block uncached. Failures go to the log at most once
 * per {@value #FAILURE_LOG_SECONDS} s, counted in between, and to the {@code cache.writeFailures} metric.
 *
 * <p>A transaction that finds no room (NO_SPACE: the disk or the map is full) is reported to the {@link
 * NoSpaceListener} on this thread, outside any transaction, before anything else is written; a failed delete
 * transaction is then tried once more at once, and deletes committed after puts found no room are followed by one
 * small commit so their pages become reusable ({@link #advance}).
 */
final class CacheWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CacheWriter.class);
  /** Ops per batch, and bytes of block payload per batch, before committing. */
  static final int MAX_BATCH_OPS = 512;
  static final long MAX_BATCH_BYTES = 32L << 20;
  /** Deletes kept for another try; beyond, the oldest are given up (the blocks stay in LMDB until restart). */
  static final int MAX_PENDING_DELETES = 65_536;
  static final int FAILURE_LOG_SECONDS = 10;
  /** State key: how many times puts found no room and the freed pages were made reusable. */
  static final String NO_SPACE_KEY = "cache.noSpaceRecoveries";

  sealed interface Op permits Put, Delete, State, Barrier {}

  /** @param value the stored form, {@code crc32c ‖ cipher} */
  record Put(BlockId id, ByteBuffer value, CompletableFuture<Boolean> done) implements Op {}

  record Delete(BlockId id) implements Op {}

  record State(String key, long value) implements Op {}

  record Barrier(CompletableFuture<Void> done) implements Op {}

  private record Stop() {}

  /** Told when a write transaction found no room. */
  interface NoSpaceListener {
    /**
     * @param transaction the number of the failed transaction among all this writer began (1, 2, ...)
     * @param deleting it was the deletes' transaction: without fresh pages the cache cannot even evict
     * @param failedInARow transactions of puts that found no room since the last one that did
     */
    void noSpace(long transaction, boolean deleting, int failedInARow);
  }

  private final LmdbStorage storage;
  private final BlockStore blocks;
  private final Table<String, Long> state;
  private final NoSpaceListener noSpace;
  private final ProxyMetrics metrics;
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final Throttle failureLog = new Throttle(Duration.ofSeconds(FAILURE_LOG_SECONDS));
  /** Writer thread only: deletes and counters not yet committed. */
  private final Set<BlockId> pendingDeletes = new LinkedHashSet<>();
  private final Map<String, Long> pendingStates = new LinkedHashMap<>();
  private long transactions;
  private int putsFailedInARow;
  private volatile long maxBatchBytes = MAX_BATCH_BYTES;
  private volatile boolean closed;

  CacheWriter(LmdbStorage storage, BlockStore blocks, Table<String, Long> state, NoSpaceListener noSpace,
      ProxyMetrics metrics) {
    this.storage = storage;
    this.blocks = blocks;
    this.state = state;
    this.noSpace = noSpace;
    this.metrics = metrics;
    this.thread = Thread.ofPlatform().name("proxy-cache-writer").daemon(true).unstarted(this::run);
    thread.start();
  }

  void submit(Op op) {
    if (closed) {
      if (op instanceof Put p) {
        p.done().completeExceptionally(new IllegalStateException("cache closed"));
      } else if (op instanceof Barrier b) {
        b.done().complete(null);
      }
      return;
    }
    queue.add(op);
  }

  /** Caps the block bytes of one batch (a full disk leaves few free pages for one transaction to use). */
  void limitBatchBytes(long bytes) {
    maxBatchBytes = Math.max(1, Math.min(bytes, MAX_BATCH_BYTES));
  }

  long maxBatchBytes() {
    return maxBatchBytes;
  }

  private void run() {
    List<Op> batch = new ArrayList<>();
    while (true) {
      Object first;
      try {
        first = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (first instanceof Stop) {
        return;
      }
      batch.clear();
      batch.add((Op) first);
      long bytes = first instanceof Put p ? p.value().remaining() : 0;
      boolean stop = false;
      while (batch.size() < MAX_BATCH_OPS && bytes < maxBatchBytes) {
        Object next = queue.poll();
        if (next == null) {
          break;
        }
        if (next instanceof Stop) {
          stop = true;
          break;
        }
        batch.add((Op) next);
        if (next instanceof Put p) {
          bytes += p.value().remaining();
        }
      }
      commit(batch);
      if (stop) {
        return;
      }
    }
  }

  private void commit(List<Op> batch) {
    List<Put> puts = new ArrayList<>();
    for (Op op : batch) {
      switch (op) {
        case Put p -> puts.add(p);
        // One queue orders a block's eviction before any refetch of it (a refetch needs the miss the eviction
        // causes), and deletes commit before the puts of their batch, so a delete never removes a newer copy.
        case Delete d -> pendingDeletes.add(d.id());
        case State s -> pendingStates.put(s.key(), s.value());
        case Barrier b -> { }
      }
    }
    OutpostException notDeleted = commitDeletesAndStates();
    if (!puts.isEmpty()) {
      if (notDeleted == null) {
        commitPuts(puts);
      } else {
        puts.forEach(p -> p.done().completeExceptionally(notDeleted));
        metrics.cacheWriteFailed(puts.size());
      }
    }
    for (Op op : batch) {
      if (op instanceof Barrier b) {
        b.done().complete(null);
      }
    }
  }

  /** Null once nothing is pending any more; else why not. */
  private OutpostException commitDeletesAndStates() {
    if (pendingDeletes.isEmpty() && pendingStates.isEmpty()) {
      return null;
    }
    OutpostException why = null;
    for (int attempt = 0; attempt < 2; attempt++) {
      long number = ++transactions;
      try {
        storage.write(txn -> {
          for (BlockId id : pendingDeletes) {
            blocks.delete(txn, id);
          }
          pendingStates.forEach((k, v) -> state.put(txn, k, v));
          return null;
        });
        boolean freed = !pendingDeletes.isEmpty();
        pendingDeletes.clear();
        pendingStates.clear();
        if (freed && putsFailedInARow > 0) {
          advance();
        }
        return null;
      } catch (RuntimeException e) {
        why = Errors.unwrap(e);
        warn("cache delete of {} blocks failed: {}; kept for the next try", pendingDeletes.size(), why);
        if (why.code() != ErrorCode.NO_SPACE) {
          break;
        }
        noSpace.noSpace(number, true, putsFailedInARow);
      }
    }
    int over = pendingDeletes.size() - MAX_PENDING_DELETES;
    for (Iterator<BlockId> it = pendingDeletes.iterator(); over > 0 && it.hasNext(); over--) {
      it.next();
      it.remove();
    }
    return why;
  }

  /**
   * LMDB reuses the pages a transaction freed only from the transaction after next (the last one's may still be
   * needed by a crash), and aborted transactions do not count. Puts that found no room would otherwise fail forever
   * after the deletes that make room: one small commit in between lets the next puts use those pages. It counts the
   * times the cache ran out of room ({@value #NO_SPACE_KEY}).
   */
  private void advance() {
    ++transactions;
    try {
      storage.write(txn -> {
        state.put(txn, NO_SPACE_KEY, state.get(txn, NO_SPACE_KEY).orElse(0L) + 1);
        return null;
      });
    } catch (RuntimeException e) {
      warn("cache state write of {} counter failed: {}", 1, Errors.unwrap(e));
    }
  }

  private void commitPuts(List<Put> puts) {
    boolean[] added = new boolean[puts.size()];
    long number = ++transactions;
    try {
      storage.write(txn -> {
        for (int i = 0; i < puts.size(); i++) {
          added[i] = blocks.put(txn, puts.get(i).id(), puts.get(i).value());
        }
        return null;
      });
    } catch (RuntimeException e) {
      OutpostException why = Errors.unwrap(e);
      metrics.cacheWriteFailed(puts.size());
      warn("cache write of {} blocks failed: {}; they are not cached", puts.size(), why);
      if (why.code() == ErrorCode.NO_SPACE) {
        noSpace.noSpace(number, false, ++putsFailedInARow);
      }
      puts.forEach(p -> p.done().completeExceptionally(why));
      return;
    }
    putsFailedInARow = 0;
    for (int i = 0; i < puts.size(); i++) {
      puts.get(i).done().complete(added[i]);
    }
  }

  private void warn(String format, int count, OutpostException why) {
    long held = failureLog.pass();
    if (held >= 0) {
      log.warn(format + "{}", count, why.toString(), Throttle.heldNote(held));
    }
  }

  /** Completes once everything queued before it is committed. */
  CompletableFuture<Void> barrier() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    submit(new Barrier(f));
    return f;
  }

  /** Commits what is queued, then stops the thread. */
  @Override
  public void close() {
    closed = true;
    queue.add(new Stop());
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Anything that raced in after Stop: fail puts, release barriers.
    Object left;
    while ((left = queue.poll()) != null) {
      if (left instanceof Put p) {
        p.done().completeExceptionally(new IllegalStateException("cache closed"));
      } else if (left instanceof Barrier b) {
        b.done().complete(null);
      }
    }
  }
}
