package dev.outpost.origin.server;

import dev.outpost.core.BlockRef;
import com.codahale.metrics.Timer;
import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.feed.ChangeFeed;
import dev.outpost.origin.lease.LeaseTable;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.origin.volume.Volume;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.BlockMissing;
import dev.outpost.protocol.BlockRefs;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.DiffBlocks;
import dev.outpost.protocol.DiffPaths;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.HasBlocks;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.LeaseAcquire;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.LeaseRecall;
import dev.outpost.protocol.LeaseRelease;
import dev.outpost.protocol.LeaseRenew;
import dev.outpost.protocol.LinkTarget;
import dev.outpost.protocol.ListBlocks;
import dev.outpost.protocol.Lookup;
import dev.outpost.protocol.MissingBlocks;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.PathChange;
import dev.outpost.protocol.PathChanges;
import dev.outpost.protocol.PutBlock;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.ReadLink;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.ReserveInodes;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.SnapshotCreate;
import dev.outpost.protocol.SnapshotDelete;
import dev.outpost.protocol.SnapshotList;
import dev.outpost.protocol.Snapshots;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.protocol.Unsubscribe;
import dev.outpost.protocol.Welcome;
import dev.outpost.transport.Errors;
import dev.outpost.transport.Principal;
import dev.outpost.transport.Principal.Access;
import dev.outpost.transport.RequestService;
import dev.outpost.transport.ServerCall;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The origin's answer to every request of the protocol, dispatched with one exhaustive switch.
 *
 * <p>Threads: {@link #handle} runs on a connection's event loop and only checks access and hands work on.
 * Reads (LMDB read transactions, block copies) run on the bounded reader pool; every mutation — namespace,
 * commits, blocks, leases, snapshots — runs on the single writer thread, so a lease check and the write it
 * guards never interleave with another writer, and change events are published in sequence order right after
 * the volume commit. A full pool answers BUSY rather than queueing without bound.
 *
 * <p>Access: READ for reads, block fetches and subscriptions; WRITE for mutations, uploads and leases; ADMIN
 * for creating and deleting snapshots.
 */
public final class OriginService implements RequestService {
  private static final Logger log = LoggerFactory.getLogger(OriginService.class);
  /** How long a LIST_BLOCKS stream waits for a peer that stopped reading before giving up. */
  static final long LIST_BLOCKS_STALL_MILLIS = 60_000;

  private final Volume volume;
  private final ChangeFeed feed;
  private final LeaseTable leases;
  private final OriginMetrics metrics;
  private final Clock clock;
  private final ExecutorService readers;
  private final ExecutorService writer;
  private final String agent;
  private final int blockRefsPerFrame;
  /** Body bytes of one PATH_CHANGES frame at most. */
  private final int pathChangeBytesPerFrame;
  private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
  private final BlockBatcher batcher;

  /**
   * @param readers bounded pool for reads
   * @param writer a single-thread executor with a bounded queue, for every mutation
   * @param maxFrameBytes the connection's frame limit, to size LIST_BLOCKS batches
   * @param maxQueuedUploads uploads (and HAS_BLOCKS touches) waiting for the writer at most; more answer BUSY
   */
  public OriginService(Volume volume, ChangeFeed feed, LeaseTable leases, OriginMetrics metrics, Clock clock,
      ExecutorService readers, ExecutorService writer, String agent, int maxFrameBytes, int maxQueuedUploads) {
    this.volume = volume;
    this.feed = feed;
    this.leases = leases;
    this.metrics = metrics;
    this.clock = clock;
    this.readers = readers;
    this.writer = writer;
    this.agent = agent;
    this.batcher = new BlockBatcher(volume, writer, metrics, maxQueuedUploads);
    // A BlockRef is 36 bytes on the wire; keep a margin for the header and the count.
    this.blockRefsPerFrame = Math.max(1, Math.min(BlockRefs.MAX_REFS, (maxFrameBytes - 1024) / 40));
    this.pathChangeBytesPerFrame = Math.max(1, maxFrameBytes - 1024);
  }

  @Override
  public Welcome welcome(int version) {
    return new Welcome(version, agent, volume.identity().name(), volume.currentSeq(), clock.millis());
  }

  @Override
  public void handle(ServerCall call, Request request) {
    try {
      switch (request) {
        // The transport answers these itself; reaching here is a transport bug, not the peer's fault.
        case dev.outpost.protocol.Hello r -> throw misrouted(r);
        case dev.outpost.protocol.Attach r -> throw misrouted(r);
        case dev.outpost.protocol.Detach r -> throw misrouted(r);
        case dev.outpost.protocol.Ping r -> throw misrouted(r);

        case GetAttr r -> read(call, "getattr", () -> new AttrReply(volume.getAttr(r.snapshot(), r.path())));
        case Lookup r -> read(call, "lookup",
            () -> new AttrReply(volume.lookup(r.snapshot(), r.parentInode(), r.name())));
        case ReadDir r -> read(call, "readdir",
            () -> volume.readDir(r.snapshot(), r.path(), r.startAfter(), r.maxEntries()));
        case ReadLink r -> read(call, "readlink", () -> new LinkTarget(volume.readLink(r.snapshot(), r.path())));
        case HasBlocks r -> read(call, "has_blocks", () -> hasBlocks(r));
        case SnapshotList r -> read(call, "snapshot_list", () -> new Snapshots(volume.listSnapshots()));
        case GetBlocks r -> getBlocks(call, r);
        case ListBlocks r -> listBlocks(call, r);
        case DiffBlocks r -> diffBlocks(call, r);
        case DiffPaths r -> diffPaths(call, r);
        case Subscribe r -> subscribe(call, r);
        case Unsubscribe r -> {
          require(call, Access.READ, "unsubscribe");
          feed.unsubscribe(call.session().connectionId(), r.subscribeRequestId());
          call.reply(new Ok());
        }

        case Create r -> write(call, "create", r,
            () -> volume.create(r.op(), r.path(), r.mode(), r.exclusive(), r.inode(), clock.millis()), AttrReply::new);
        case Mkdir r -> write(call, "mkdir", r,
            () -> volume.mkdir(r.op(), r.path(), r.mode(), r.inode(), clock.millis()), AttrReply::new);
        case Unlink r -> write(call, "unlink", r,
            () -> volume.unlink(r.op(), r.path(), clock.millis()), v -> new Ok());
        case Rmdir r -> write(call, "rmdir", r,
            () -> volume.rmdir(r.op(), r.path(), clock.millis()), v -> new Ok());
        case Rename r -> write(call, "rename", r,
            () -> volume.rename(r.op(), r.from(), r.to(), clock.millis()), v -> new Ok());
        case SetAttr r -> write(call, "setattr", r, () -> volume.setAttr(r.op(), r.path(), r.mode(), r.mtimeMillis(),
            r.size(), clock.millis()), AttrReply::new);
        case Symlink r -> write(call, "symlink", r,
            () -> volume.symlink(r.op(), r.path(), r.target(), r.inode(), clock.millis()), AttrReply::new);
        case Commit r -> commit(call, r);
        case ReserveInodes r -> {
          // A read token suffices: numbers only become entries through a write, which needs a write token.
          require(call, Access.READ, "reserve_inodes");
          onWriter(call, "reserve_inodes", () -> {
            InodeRange range = volume.reserveInodes(r.originator(), r.count(), clock.millis());
            log.info("{} inodes from {} reserved for originator {} by {}", range.count(), range.first(),
                Long.toHexString(r.originator()), subject(call));
            return range;
          });
        }
        case PutBlock r -> putBlock(call, r);

        case LeaseAcquire r -> lease(call, "lease_acquire", () -> leases.acquire(party(call), r.path(), r.mode(),
            r.subtree(), r.ttlMillis(), recall -> push(call, recall)));
        case LeaseRenew r -> lease(call, "lease_renew", () -> leases.renew(r.path(), r.token(), r.ttlMillis()));
        case LeaseRelease r -> lease(call, "lease_release", () -> {
          leases.release(r.path(), r.token());
          return new Ok();
        });
        case LeaseList r -> read(call, "lease_list", () -> leases.list(r.path(), r.afterToken(), r.maxEntries()));

        case SnapshotCreate r -> {
          require(call, Access.ADMIN, "snapshot create");
          onWriter(call, "snapshot_create", () -> {
            Volume.Mutation<dev.outpost.protocol.SnapshotInfo> m = volume.createSnapshot(r.name(), clock.millis());
            feed.publish(m.events());
            metrics.snapshotCreated();
            log.info("snapshot {} created at seq {} by {}", r.name(), m.result().seq(), subject(call));
            return new Snapshots(List.of(m.result()));
          });
        }
        case SnapshotDelete r -> {
          require(call, Access.ADMIN, "snapshot delete");
          onWriter(call, "snapshot_delete", () -> {
            volume.deleteSnapshot(r.name());
            log.info("snapshot {} deleted by {}", r.name(), subject(call));
            return new Ok();
          });
        }
      }
    } catch (RuntimeException e) {
      fail(call, e);
    }
  }

  @Override
  public void connectionClosed(long connectionId) {
    feed.connectionClosed(connectionId);
  }

  /**
   * Runs maintenance work (GC, automatic snapshots) on the writer thread, after the queued mutations and after
   * writing the uploads and touches queued so far (GC must see every touch already promised).
   */
  public <T> java.util.concurrent.Future<T> onWriterThread(java.util.concurrent.Callable<T> task) {
    return writer.submit(() -> {
      batcher.flush();
      return task.call();
    });
  }

  /** Fails the uploads still queued once the worker pools have stopped, releasing their buffers. */
  public void shutdown() {
    batcher.failQueued(new OutpostException(ErrorCode.UNAVAILABLE, "origin is shutting down; block not stored"));
  }

  // ---- reads ----

  private void read(ServerCall call, String op, Supplier<Reply> work) {
    require(call, Access.READ, op);
    submit(readers, call, () -> {
      try (Timer.Context t = metrics.time(op)) {
        call.reply(work.get());
      }
    });
  }

  private void getBlocks(ServerCall call, GetBlocks r) {
    require(call, Access.READ, "get_blocks");
    Timer.Context t = metrics.time("get_blocks");
    submit(readers, call, () -> sendBlocks(call, r.ids(), 0, t));
  }

  /**
   * Sends one frame per id from {@code from} on, pausing while the connection is not writable so a slow
   * reader makes the origin stop reading blocks instead of buffering them.
   */
  private void sendBlocks(ServerCall call, List<BlockId> ids, int from, Timer.Context timer) {
    int i = from;
    try {
      while (i < ids.size()) {
        if (!call.isOpen()) {
          timer.stop();
          return;
        }
        if (!call.isWritable()) {
          metrics.streamPaused();
          int next = i;
          call.whenWritable(() -> submit(readers, call, () -> sendBlocks(call, ids, next, timer)));
          return;
        }
        Reply reply = blockReply(ids.get(i));
        if (i == ids.size() - 1) {
          call.reply(reply);
          timer.stop();
        } else {
          call.more(reply);
        }
        i++;
      }
    } catch (RuntimeException e) {
      timer.stop();
      throw e;
    }
  }

  private Reply blockReply(BlockId id) {
    Optional<ByteBuf> cipher = volume.getBlock(id, alloc);
    if (cipher.isEmpty()) {
      return new BlockMissing(id);
    }
    ByteBuf buf = cipher.get();
    try {
      int bytes = buf.readableBytes();
      BlockData data = new BlockData(id, buf);
      metrics.blockSent(bytes);
      return data;
    } catch (RuntimeException e) {
      buf.release(); // the constructor refused it, so the buffer is still ours
      throw e;
    }
  }

  private void listBlocks(ServerCall call, ListBlocks r) {
    require(call, Access.READ, "list_blocks");
    submit(readers, call, () -> {
      try (Timer.Context t = metrics.time("list_blocks")) {
        volume.listBlocks(r.snapshot(), r.prefix(), blockRefsPerFrame, batch -> {
          awaitWritable(call);
          call.more(new BlockRefs(batch));
        });
        call.reply(new BlockRefs(List.of()));
      }
    });
  }

  private void diffBlocks(ServerCall call, DiffBlocks r) {
    require(call, Access.READ, "diff_blocks");
    submit(readers, call, () -> {
      try (Timer.Context t = metrics.time("diff_blocks")) {
        volume.diffBlocks(r.base(), r.target(), r.prefix(), blockRefsPerFrame, batch -> {
          awaitWritable(call);
          call.more(new BlockRefs(batch));
        });
        call.reply(new BlockRefs(List.of()));
      }
    });
  }

  /** The changes are collected in one read transaction, then sent in frames sized to the peer's limit. */
  private void diffPaths(ServerCall call, DiffPaths r) {
    require(call, Access.READ, "diff_paths");
    submit(readers, call, () -> {
      try (Timer.Context t = metrics.time("diff_paths")) {
        List<PathChange> changes = volume.diffPaths(r.base(), r.target(), r.prefix());
        List<PathChange> batch = new ArrayList<>();
        int bytes = 0;
        for (PathChange c : changes) {
          int size = PathChanges.wireBytes(c);
          if (!batch.isEmpty() && (bytes + size > pathChangeBytesPerFrame || batch.size() == PathChanges.MAX_CHANGES)) {
            awaitWritable(call);
            call.more(new PathChanges(batch));
            batch = new ArrayList<>();
            bytes = 0;
          }
          batch.add(c);
          bytes += size;
        }
        call.reply(new PathChanges(batch));
      }
    });
  }

  /**
   * Blocks this reader thread until the peer has read enough: the volume hands batches to a sink, so pausing
   * here is the only way to bound what is buffered for a slow LIST_BLOCKS reader.
   */
  private void awaitWritable(ServerCall call) {
    if (call.isWritable()) {
      return;
    }
    metrics.streamPaused();
    CountDownLatch writable = new CountDownLatch(1);
    call.whenWritable(writable::countDown);
    try {
      if (!writable.await(LIST_BLOCKS_STALL_MILLIS, TimeUnit.MILLISECONDS)) {
        throw new OutpostException(ErrorCode.UNAVAILABLE, "peer stopped reading the block list");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutpostException(ErrorCode.UNAVAILABLE, "interrupted while streaming the block list", e);
    }
    if (!call.isOpen()) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, "connection closed during the block list");
    }
  }

  private void subscribe(ServerCall call, Subscribe r) {
    require(call, Access.READ, "subscribe");
    submit(readers, call, () -> feed.subscribe(call, r));
  }

  // ---- mutations ----

  /**
   * Runs a mutation on the writer: one whose operation id has a recorded reply gets that reply and nothing
   * else happens (the lease and base checks might refuse it now only because it was applied); otherwise its
   * lease token is checked against every path it changes, and the volume applies and records it.
   */
  private <T> void write(ServerCall call, String op, dev.outpost.protocol.Mutation request,
      Supplier<Volume.Mutation<T>> work, java.util.function.Function<T, Reply> answer) {
    require(call, Access.WRITE, op);
    LeaseTable.Party party = party(call);
    onWriter(call, op, () -> {
      Optional<Reply> done = volume.applied(request.op(), request.getClass());
      if (done.isPresent()) {
        metrics.duplicate();
        log.debug("{} {} answered from its record", op, request.op());
        return done.get();
      }
      for (String p : request.paths()) {
        leases.checkWrite(party, p, request.leaseToken());
      }
      Volume.Mutation<T> m = work.get();
      feed.publish(m.events());
      return answer.apply(m.result());
    });
  }

  private void commit(ServerCall call, Commit r) {
    write(call, "commit", r, () -> {
      Volume.Mutation<dev.outpost.protocol.FileAttr> m = volume.commit(r.op(), r.path(), r.inode(), r.baseVersion(),
          r.root(), r.size(), r.mtimeMillis(), clock.millis());
      metrics.commit();
      return m;
    }, AttrReply::new);
  }

  /**
   * Verifies the block (SHA-256, format) on the reader pool — never on the event loop, never on the writer —
   * then hands it to the batcher, which answers once the block's batch is durable and releases its buffer.
   */
  private void putBlock(ServerCall call, PutBlock r) {
    try {
      require(call, Access.WRITE, "put_block");
      metrics.bytesIn(r.cipher().readableBytes());
      Timer.Context timer = metrics.time("put_block");
      try {
        readers.execute(() -> verifyAndQueue(call, r, timer));
      } catch (RejectedExecutionException e) {
        timer.stop();
        throw e;
      }
    } catch (RejectedExecutionException e) {
      r.release();
      busy(call, "reader");
    } catch (RuntimeException e) {
      r.release();
      throw e;
    }
  }

  private void verifyAndQueue(ServerCall call, PutBlock r, Timer.Context timer) {
    Volume.VerifiedBlock block;
    try {
      block = volume.verifyBlock(r.id(), r.cipher().nioBuffer());
    } catch (RuntimeException | Error e) {
      timer.stop();
      r.release();
      if (e instanceof RuntimeException re) {
        fail(call, re);
        return;
      }
      if (!call.ended()) {
        call.fail(new OutpostException(ErrorCode.INTERNAL, "origin failure: " + e));
      }
      throw (Error) e;
    }
    batcher.submit(new BlockBatcher.Upload() {
      @Override
      public Volume.VerifiedBlock block() {
        return block;
      }

      @Override
      public void stored() {
        try {
          metrics.blockStored();
          call.reply(new Ok());
        } finally {
          timer.stop();
          r.release();
        }
      }

      @Override
      public void failed(OutpostException why) {
        try {
          fail(call, why);
        } finally {
          timer.stop();
          r.release();
        }
      }
    });
  }

  /**
   * Presence in a read transaction; the GC touch of the present ids is queued for the next upload batch
   * rather than synced here (why that is safe: {@link BlockBatcher}).
   */
  private MissingBlocks hasBlocks(HasBlocks r) {
    List<BlockId> absent = volume.absentBlocks(r.ids());
    java.util.Set<BlockId> present = new java.util.LinkedHashSet<>(r.ids());
    absent.forEach(present::remove);
    batcher.touch(present);
    return new MissingBlocks(absent);
  }

  private void lease(ServerCall call, String op, Supplier<Reply> work) {
    require(call, Access.WRITE, op);
    onWriter(call, op, work);
  }

  private void onWriter(ServerCall call, String op, Supplier<Reply> work) {
    submit(writer, call, () -> {
      try (Timer.Context t = metrics.time(op)) {
        call.reply(work.get());
      }
    });
  }

  // ---- plumbing ----

  private void submit(ExecutorService pool, ServerCall call, Runnable task) {
    try {
      pool.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          fail(call, e);
        } catch (Error e) {
          // Answer even now, so the peer does not wait forever; the pool replaces the dying thread.
          log.error("request {} failed", call.requestId(), e);
          if (!call.ended()) {
            call.fail(new OutpostException(ErrorCode.INTERNAL, "origin failure: " + e));
          }
          throw e;
        }
      });
    } catch (RejectedExecutionException e) {
      busy(call, pool == writer ? "writer" : "reader");
    }
  }

  private void busy(ServerCall call, String pool) {
    metrics.busy();
    call.fail(new OutpostException(ErrorCode.BUSY, "origin is busy (" + pool + " queue full); retry later"));
  }

  private void fail(ServerCall call, RuntimeException e) {
    OutpostException oe = Errors.unwrap(e);
    switch (oe.code()) {
      case CONFLICT -> metrics.conflict();
      case FENCED -> metrics.fenced();
      case LEASE_CONFLICT -> metrics.leaseConflict();
      case INTERNAL -> log.error("request {} failed", call.requestId(), e);
      default -> { }
    }
    metrics.error();
    if (!call.ended()) {
      call.fail(oe);
    }
  }

  private void push(ServerCall holderCall, LeaseRecall recall) {
    holderCall.push(recall);
  }

  private static void require(ServerCall call, Access needed, String op) {
    Principal p = call.session().principal().orElseThrow(
        () -> new OutpostException(ErrorCode.UNAUTHORIZED, "no token given for this session"));
    if (!p.access().allows(needed)) {
      String level = needed.name().toLowerCase(java.util.Locale.ROOT);
      throw new OutpostException(ErrorCode.FORBIDDEN, op + " needs " + (needed == Access.ADMIN ? "an " : "a ") + level
          + " token, but " + p.subject() + "'s token allows only " + p.access().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  private static LeaseTable.Party party(ServerCall call) {
    return new LeaseTable.Party(call.session().connectionId(), call.session().id(), subject(call));
  }

  private static String subject(ServerCall call) {
    return call.session().principal().map(Principal::subject).orElse("?");
  }

  private static OutpostException misrouted(Request r) {
    return new OutpostException(ErrorCode.PROTOCOL_VIOLATION,
        r.getClass().getSimpleName() + " is handled by the transport, not the volume service");
  }
}
