package dev.outpost.client;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.SealedBlock;
import dev.outpost.protocol.HasBlocks;
import dev.outpost.protocol.MissingBlocks;
import dev.outpost.protocol.PutBlock;
import dev.outpost.protocol.Reply;
import dev.outpost.transport.Errors;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Uploads the blocks of one write, sending only what the server lacks: blocks are collected into HAS_BLOCKS
 * batches, and the blocks each answer names missing go out as PUT_BLOCKs, all pipelined. Memory is bounded:
 * {@link #add} blocks the writer while {@code maxHeldBytes} of ciphertext are waiting for an answer.
 *
 * <p>Both requests are idempotent (a block is named by its content), so after a lost connection they are sent
 * again on the next one (see {@link Calls}) and an upload goes on across a reconnection.
 *
 * <p>A {@link OutpostClient#cancelCalls cancel} fails the upload at the next block even when none of its
 * requests is waiting (a run of blocks the server already has, such as zeros, sends nothing).
 *
 * <p>{@link #add} and {@link #finish} are called from one writer thread; answers are handled on the event
 * loop, which never waits.
 */
final class Uploader {
  static final int MAX_BATCH_IDS = 128;
  static final int MAX_BATCH_BYTES = 4 << 20;

  private final Calls calls;
  private final Semaphore heldKib;
  private final Set<BlockId> seen = new HashSet<>();
  private List<SealedBlock> batch = new ArrayList<>();
  private long batchBytes;
  private final List<CompletableFuture<Void>> outstanding = new ArrayList<>();
  private final AtomicReference<OutpostException> failure = new AtomicReference<>();
  private final AtomicLong bytesUploaded = new AtomicLong();
  private final AtomicLong blocksUploaded = new AtomicLong();
  private final long cancellationsAtStart;

  Uploader(Calls calls, long maxHeldBytes) {
    this.calls = calls;
    this.cancellationsAtStart = calls.cancellations();
    this.heldKib = new Semaphore((int) Math.max(1024, maxHeldBytes >> 10));
  }

  /** Queues a block for upload unless this write already has it; may wait for memory to free up. */
  void add(SealedBlock block) {
    checkFailure();
    if (!seen.add(block.id())) {
      return;
    }
    acquire(kib(block));
    batch.add(block);
    batchBytes += block.cipherLength();
    if (batch.size() >= MAX_BATCH_IDS || batchBytes >= MAX_BATCH_BYTES) {
      flush();
    }
  }

  /** Distinct blocks added. */
  long blocksTotal() {
    return seen.size();
  }

  long bytesUploaded() {
    return bytesUploaded.get();
  }

  long blocksUploaded() {
    return blocksUploaded.get();
  }

  /**
   * Sends what is queued and waits until every block is at the server.
   *
   * @throws OutpostException the first failure of any request
   */
  void finish() {
    flush();
    Futures.join(CompletableFuture.allOf(outstanding.toArray(CompletableFuture[]::new)));
    outstanding.clear();
    checkFailure();
  }

  private void flush() {
    if (batch.isEmpty()) {
      return;
    }
    List<SealedBlock> blocks = batch;
    batch = new ArrayList<>();
    batchBytes = 0;
    List<BlockId> ids = new ArrayList<>(blocks.size());
    for (SealedBlock b : blocks) {
      ids.add(b.id());
    }
    CompletableFuture<Void> done = calls.call(new HasBlocks(ids)).handle((reply, err) -> {
      if (err != null) {
        release(blocks);
        throw Errors.unwrap(err);
      }
      return putMissing(blocks, reply);
    }).thenCompose(f -> f);
    done = done.whenComplete((v, err) -> {
      if (err != null) {
        failure.compareAndSet(null, Errors.unwrap(err));
      }
    });
    outstanding.add(done);
    // Keep the list short on long writes: drop what has completed.
    if (outstanding.size() > 256) {
      outstanding.removeIf(CompletableFuture::isDone);
    }
  }

  /** Runs on the event loop: releases the blocks the server has and sends the others. */
  private CompletableFuture<Void> putMissing(List<SealedBlock> blocks, Reply reply) {
    if (!(reply instanceof MissingBlocks missing)) {
      ReferenceCountUtil.release(reply);
      release(blocks);
      throw new OutpostException(ErrorCode.PROTOCOL_VIOLATION, "expected MISSING_BLOCKS, got " + reply.getClass().getSimpleName());
    }
    Map<BlockId, SealedBlock> byId = new HashMap<>();
    for (SealedBlock b : blocks) {
      byId.put(b.id(), b);
    }
    List<CompletableFuture<Reply>> puts = new ArrayList<>();
    for (BlockId id : missing.missing()) {
      SealedBlock b = byId.remove(id);
      if (b == null) {
        continue;
      }
      // A fresh buffer per attempt: a write consumes it, and PUT_BLOCK may be sent again after a reconnection.
      CompletableFuture<Reply> put = calls.call(() -> new PutBlock(b.id(), Unpooled.wrappedBuffer(b.cipher())));
      puts.add(put.whenComplete((r, err) -> {
        ReferenceCountUtil.release(r);
        heldKib.release(kib(b));
        if (err == null) {
          bytesUploaded.addAndGet(b.cipherLength());
          blocksUploaded.incrementAndGet();
        }
      }));
    }
    release(byId.values());
    return CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new));
  }

  private void release(Iterable<SealedBlock> blocks) {
    for (SealedBlock b : blocks) {
      heldKib.release(kib(b));
    }
  }

  private void acquire(int permits) {
    try {
      while (!heldKib.tryAcquire(permits, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        checkFailure();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutpostException(ErrorCode.UNAVAILABLE, "interrupted while uploading", e);
    }
  }

  private void checkFailure() {
    calls.cancelledSince(cancellationsAtStart).ifPresent(c -> failure.compareAndSet(null, c));
    OutpostException e = failure.get();
    if (e != null) {
      throw e;
    }
  }

  private static int kib(SealedBlock b) {
    return (b.cipherLength() >> 10) + 1;
  }
}
