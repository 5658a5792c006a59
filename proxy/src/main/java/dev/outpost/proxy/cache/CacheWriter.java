package dev.outpost.proxy.cache;

import dev.outpost.core.BlockId;
import dev.outpost.store.BlockStore;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.Table;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes the cache's LMDB environment. Callers on any thread (event loops included)
 * enqueue and return at once; the thread drains what has accumulated and commits it in one transaction, so
 * a burst of fetched blocks costs one commit, not one each.
 */
final class CacheWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CacheWriter.class);
  /** Ops per transaction, and bytes of block payload per transaction, before committing. */
  static final int MAX_BATCH_OPS = 512;
  static final long MAX_BATCH_BYTES = 32L << 20;

  sealed interface Op permits Put, Delete, State, Barrier {}

  /** @param value the stored form, {@code crc32c ‖ cipher} */
  record Put(BlockId id, ByteBuffer value, CompletableFuture<Boolean> done) implements Op {}

  record Delete(BlockId id) implements Op {}

  record State(String key, long value) implements Op {}

  record Barrier(CompletableFuture<Void> done) implements Op {}

  private record Stop() {}

  private final LmdbStorage storage;
  private final BlockStore blocks;
  private final Table<String, Long> state;
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;

  CacheWriter(LmdbStorage storage, BlockStore blocks, Table<String, Long> state) {
    this.storage = storage;
    this.blocks = blocks;
    this.state = state;
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
      while (batch.size() < MAX_BATCH_OPS && bytes < MAX_BATCH_BYTES) {
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
    boolean[] added = new boolean[batch.size()];
    try {
      storage.write(txn -> {
        Map<String, Long> states = new HashMap<>();
        for (int i = 0; i < batch.size(); i++) {
          switch (batch.get(i)) {
            case Put p -> added[i] = blocks.put(txn, p.id(), p.value());
            // One queue orders a block's eviction before any refetch of it (a refetch needs the miss the eviction
            // causes), so a delete never removes a newer copy.
            case Delete d -> blocks.delete(txn, d.id());
            case State s -> states.put(s.key(), s.value());
            case Barrier b -> { }
          }
        }
        states.forEach((k, v) -> state.put(txn, k, v));
        return null;
      });
    } catch (RuntimeException e) {
      log.warn("cache write of {} operations failed: {}", batch.size(), e.toString());
      for (Op op : batch) {
        switch (op) {
          case Put p -> p.done().completeExceptionally(e);
          case Barrier b -> b.done().complete(null);
          default -> { }
        }
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      switch (batch.get(i)) {
        case Put p -> p.done().complete(added[i]);
        case Barrier b -> b.done().complete(null);
        default -> { }
      }
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
