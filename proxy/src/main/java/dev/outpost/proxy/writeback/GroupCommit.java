package dev.outpost.proxy.writeback;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.WriteTxn;
import dev.outpost.transport.Errors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-back log's one writer thread, with group commit: tasks that arrive together run in one durable
 * (synced) LMDB write transaction, and each is told its result only after that transaction committed. A task
 * works against a staging object {@code S} made fresh for each attempt (the storage may run a transaction again
 * after growing its map), which is published — made visible to readers — after the commit and before the tasks
 * are told; a failed transaction publishes nothing.
 *
 * <p>If a batch fails, its tasks run again one per transaction, so only the one that fails is failed. The queue
 * holds at most {@link #MAX_QUEUED} tasks; one more fails BUSY at once.
 *
 * <p>Thread-safe: {@link #submit} from any thread; tasks, publishing and results run on the writer thread
 * ({@code proxy-writeback-writer}), so results must not block.
 */
final class GroupCommit<S> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
  static final int MAX_QUEUED = 10_000;
  static final int MAX_BATCH = 512;

  /** One unit of work. */
  interface Task<S, T> {
    /** Writes into {@code txn}, reading and changing {@code staging}; must be repeatable. */
    T apply(WriteTxn txn, S staging);

    /** The transaction holding this task's writes is durable. */
    void committed(T result);

    /** Nothing this task wrote was kept. */
    void failed(OutpostException error);
  }

  private record Queued<S, T>(Task<S, T> task) {}

  private final LmdbStorage storage;
  private final Supplier<S> newStaging;
  private final Consumer<S> publish;
  private final BlockingQueue<Queued<S, ?>> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
  private final Thread thread;
  private volatile boolean closed;

  GroupCommit(LmdbStorage storage, Supplier<S> newStaging, Consumer<S> publish) {
    this.storage = storage;
    this.newStaging = newStaging;
    this.publish = publish;
    this.thread = Thread.ofPlatform().name("proxy-writeback-writer").daemon(true).unstarted(this::run);
    thread.start();
  }

  /** Queues {@code task}; it is failed at once (BUSY, or UNAVAILABLE when closed) if it cannot be. */
  <T> void submit(Task<S, T> task) {
    if (closed) {
      task.failed(new OutpostException(ErrorCode.UNAVAILABLE, "the proxy is shutting down"));
      return;
    }
    if (!queue.offer(new Queued<>(task))) {
      task.failed(new OutpostException(ErrorCode.BUSY, "the write-back log has " + MAX_QUEUED
          + " writes queued; retry later"));
    }
  }

  /** True when called on the writer thread (tasks submitted from there run after the current batch). */
  boolean onWriter() {
    return Thread.currentThread() == thread;
  }

  private void run() {
    List<Queued<S, ?>> batch = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        Queued<S, ?> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        runBatch(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException | Error e) {
        log.error("write-back writer failed", e);
      } finally {
        batch.clear();
      }
    }
    for (Queued<S, ?> q; (q = queue.poll()) != null; ) {
      q.task().failed(new OutpostException(ErrorCode.UNAVAILABLE, "the proxy is shutting down"));
    }
  }

  private void runBatch(List<Queued<S, ?>> batch) {
    try {
      commitAndTell(batch);
    } catch (RuntimeException e) {
      if (batch.size() == 1) {
        OutpostException oe = Errors.unwrap(e);
        if (oe.code() == ErrorCode.INTERNAL) {
          log.error("write-back transaction failed", e);
        }
        batch.get(0).task().failed(oe);
        return;
      }
      // Find the one that fails: each alone.
      for (Queued<S, ?> q : batch) {
        runBatch(List.of(q));
      }
    }
  }

  private void commitAndTell(List<Queued<S, ?>> batch) {
    record Done(Object staging, List<Object> results) {}
    Done done = storage.write(txn -> {
      S staging = newStaging.get();
      List<Object> results = new ArrayList<>(batch.size());
      for (Queued<S, ?> q : batch) {
        results.add(q.task().apply(txn, staging));
      }
      return new Done(staging, results);
    });
    @SuppressWarnings("unchecked")
    S staging = (S) done.staging();
    publish.accept(staging);
    for (int i = 0; i < batch.size(); i++) {
      tell(batch.get(i).task(), done.results().get(i));
    }
  }

  @SuppressWarnings("unchecked")
  private static <S, T> void tell(Task<S, T> task, Object result) {
    try {
      task.committed((T) result);
    } catch (RuntimeException e) {
      log.warn("write-back result handler failed", e);
    }
  }

  /** Runs what is queued, then stops the thread. */
  @Override
  public void close() {
    closed = true;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
