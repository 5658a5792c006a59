package dev.outpost.origin.server;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Throttle;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.origin.volume.Volume;
import dev.outpost.origin.volume.Volume.VerifiedBlock;
import dev.outpost.transport.Errors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit of uploads on the writer thread: verified blocks and HAS_BLOCKS touches queue here, and one
 * writer task at a time stores everything queued (up to {@link #MAX_BATCH_BLOCKS} blocks or
 * {@link #MAX_BATCH_BYTES}) in one durable write transaction — one fsync for the batch instead of one per
 * block — and only then tells each upload it is stored. Each drain is its own writer task, so namespace
 * mutations and commits queued meanwhile interleave with upload batches instead of waiting behind all of them.
 *
 * <p>Ownership: {@link #submit} takes the upload; exactly one of {@link Upload#stored}/{@link Upload#failed}
 * is called for it, on every path (full queue, failed batch, shutdown), and that call is where its buffer
 * is released.
 *
 * <p>Touches are not durable when HAS_BLOCKS answers: they ride in the next batch, milliseconds later. That
 * is enough for GC: a block only becomes collectable after {@code gc.graceSeconds} (hours by default)
 * without a touch; GC runs on the writer thread after {@link #flush}, so every touch queued before it started
 * is written first; and the commit that finally references a block re-checks its presence and touches it in
 * its own transaction. A touch lost in a crash, or a block collected between HAS_BLOCKS and the commit, can
 * only make that commit fail with MISSING_BLOCKS (the client uploads again) — never leave a dangling
 * reference.
 */
final class BlockBatcher {
  private static final Logger log = LoggerFactory.getLogger(BlockBatcher.class);
  /** Most blocks stored per write transaction. */
  static final int MAX_BATCH_BLOCKS = 256;
  /** Most ciphertext bytes per write transaction (a single larger block still goes alone). */
  static final long MAX_BATCH_BYTES = 32L << 20;
  /** Most touched ids per write transaction (a single larger HAS_BLOCKS still goes alone). */
  static final int MAX_BATCH_TOUCHES = 65_536;
  /** A full or failing disk fails every batch: one line per this many seconds says so as well as thousands. */
  static final int FAILURE_LOG_SECONDS = 10;

  /** One verified upload waiting for its batch. */
  interface Upload {
    VerifiedBlock block();

    /** The block is durable. */
    void stored();

    /** The block was not stored. */
    void failed(OutpostException why);
  }

  private sealed interface Pending permits Put, Touch {}

  private record Put(Upload upload) implements Pending {}

  private record Touch(Collection<BlockId> ids) implements Pending {}

  /** What one transaction writes; {@code answered} counts uploads already told, so none is told twice. */
  private static final class Batch {
    final List<Upload> uploads = new ArrayList<>();
    final Set<BlockId> touches = new LinkedHashSet<>();
    long bytes;
    int answered;

    boolean isEmpty() {
      return uploads.isEmpty() && touches.isEmpty();
    }

    boolean fits(Pending p) {
      if (isEmpty()) {
        return true;
      }
      return switch (p) {
        case Put put -> uploads.size() < MAX_BATCH_BLOCKS && bytes + put.upload().block().bytes() <= MAX_BATCH_BYTES;
        case Touch t -> touches.size() + t.ids().size() <= MAX_BATCH_TOUCHES;
      };
    }

    void add(Pending p) {
      switch (p) {
        case Put put -> {
          uploads.add(put.upload());
          bytes += put.upload().block().bytes();
        }
        case Touch t -> touches.addAll(t.ids());
      }
    }
  }

  private final Volume volume;
  private final ExecutorService writer;
  private final OriginMetrics metrics;
  private final int maxQueued;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final Throttle failureLog = new Throttle(Duration.ofSeconds(FAILURE_LOG_SECONDS));
  /** True while a drain task is queued on or running on the writer: at most one at a time. */
  private final AtomicBoolean scheduled = new AtomicBoolean();
  /** Taking from the queue: the writer drains, but a refused schedule or shutdown fails what is left. */
  private final Object takeLock = new Object();

  /**
   * @param writer the single writer thread's executor
   * @param maxQueued uploads and touch requests waiting at most; more answer BUSY
   */
  BlockBatcher(Volume volume, ExecutorService writer, OriginMetrics metrics, int maxQueued) {
    this.volume = volume;
    this.writer = writer;
    this.metrics = metrics;
    this.maxQueued = maxQueued;
  }

  /** Queues an upload for the next batch; from here on the batcher answers it. Any thread. */
  void submit(Upload upload) {
    if (!reserve()) {
      metrics.busy();
      tell(upload, busy());
      return;
    }
    queue.add(new Put(upload));
    schedule();
  }

  /**
   * Queues a GC touch of present block ids for the next batch. Any thread.
   *
   * @throws OutpostException BUSY if the queue is full
   */
  void touch(Collection<BlockId> ids) {
    if (ids.isEmpty()) {
      return;
    }
    if (!reserve()) {
      metrics.busy();
      throw busy();
    }
    queue.add(new Touch(List.copyOf(ids)));
    schedule();
  }

  /**
   * Writes everything queued before the call, in batches. Writer thread only: maintenance (GC) calls it first
   * so that no touch it should see is still waiting.
   */
  void flush() {
    int left = queued.get();
    while (left > 0) {
      Batch b = take();
      if (b.isEmpty()) {
        return;
      }
      left -= b.uploads.size() + (b.touches.isEmpty() ? 0 : 1);
      write(b);
    }
  }

  /** Fails everything still queued (shutdown, after the writer stopped). */
  void failQueued(OutpostException why) {
    while (true) {
      Batch b = take();
      if (b.isEmpty()) {
        return;
      }
      for (Upload u : b.uploads) {
        tell(u, why);
      }
    }
  }

  private boolean reserve() {
    if (queued.incrementAndGet() > maxQueued) {
      queued.decrementAndGet();
      return false;
    }
    return true;
  }

  private void schedule() {
    if (!scheduled.compareAndSet(false, true)) {
      return; // the queued or running drain sees what was just added (it re-checks after clearing the flag)
    }
    try {
      writer.execute(this::drainOnce);
    } catch (RejectedExecutionException e) {
      scheduled.set(false);
      if (writer.isShutdown()) {
        failQueued(new OutpostException(ErrorCode.UNAVAILABLE, "origin is shutting down; block not stored"));
      } else {
        metrics.busy();
        failQueued(busy());
      }
    }
  }

  private void drainOnce() {
    try {
      write(take());
    } finally {
      scheduled.set(false);
      if (!queue.isEmpty()) {
        schedule();
      }
    }
  }

  private Batch take() {
    Batch b = new Batch();
    synchronized (takeLock) {
      Pending p;
      while ((p = queue.peek()) != null && b.fits(p)) {
        queue.poll();
        queued.decrementAndGet();
        b.add(p);
      }
    }
    return b;
  }

  /** Stores the batch in one transaction; if that fails, each upload alone, so a failure fails only its own. */
  private void write(Batch b) {
    if (b.isEmpty()) {
      return;
    }
    try {
      try {
        volume.putBlocks(b.uploads.stream().map(Upload::block).toList(), b.touches);
        metrics.blockBatch();
        while (b.answered < b.uploads.size()) {
          tell(b.uploads.get(b.answered++), null);
        }
      } catch (RuntimeException batchFailure) {
        if (b.uploads.size() + (b.touches.isEmpty() ? 0 : 1) == 1) {
          throw batchFailure;
        }
        warnFailure("block batch of {} uploads failed ({}); storing them one by one", b.uploads.size(),
            batchFailure.toString());
        writeOneByOne(b);
      }
    } catch (RuntimeException e) {
      OutpostException why = Errors.unwrap(e);
      if (b.touches.size() > 0 && b.uploads.isEmpty()) {
        warnFailure("touching {} blocks failed: {}", b.touches.size(), why.toString());
      }
      while (b.answered < b.uploads.size()) {
        tell(b.uploads.get(b.answered++), why);
      }
    } finally {
      // An Error: answer whoever is left rather than leave them waiting (and their buffers held).
      while (b.answered < b.uploads.size()) {
        tell(b.uploads.get(b.answered++), new OutpostException(ErrorCode.INTERNAL, "origin failure storing blocks"));
      }
    }
  }

  private void writeOneByOne(Batch b) {
    while (b.answered < b.uploads.size()) {
      Upload u = b.uploads.get(b.answered++);
      try {
        volume.putBlocks(List.of(u.block()), List.of());
        metrics.blockBatch();
        tell(u, null);
      } catch (RuntimeException e) {
        tell(u, Errors.unwrap(e));
      }
    }
    if (!b.touches.isEmpty()) {
      try {
        volume.putBlocks(List.of(), b.touches);
        metrics.blockBatch();
      } catch (RuntimeException e) {
        warnFailure("touching {} blocks failed: {}", b.touches.size(), e.toString());
      }
    }
  }

  private void warnFailure(String format, Object first, Object second) {
    long held = failureLog.pass();
    if (held >= 0) {
      log.warn(format + "{}", first, second, Throttle.heldNote(held));
    }
  }

  /** Answers one upload; a failing answer (a closed connection) must not stop the others. */
  private static void tell(Upload u, OutpostException failure) {
    try {
      if (failure == null) {
        u.stored();
      } else {
        u.failed(failure);
      }
    } catch (RuntimeException e) {
      log.warn("answering an upload of {} failed", u.block().id(), e);
    }
  }

  private static OutpostException busy() {
    return new OutpostException(ErrorCode.BUSY, "origin is busy (upload queue full); retry later");
  }
}
