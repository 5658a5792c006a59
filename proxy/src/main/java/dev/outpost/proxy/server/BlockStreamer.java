package dev.outpost.proxy.server;

import dev.outpost.core.BlockId;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.BlockMissing;
import dev.outpost.protocol.Reply;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.cache.BlockFlights;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.transport.Errors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

/**
 * Answers one GET_BLOCKS: cached blocks are read (and verified) from LMDB only when the client's connection can
 * take them, misses join single-flight fetches and are sent as they arrive, one frame per requested id, the last
 * without MORE. While the connection is above its high-water mark nothing is read; sending resumes when it drains.
 */
final class BlockStreamer {
  private sealed interface Item permits Hit, Fetched, Failed {}

  private record Hit(BlockId id) implements Item {}

  private record Fetched(BlockId id, Optional<byte[]> cipher) implements Item {}

  private record Failed(OutpostException error) implements Item {}

  private final ClientCall call;
  private final List<BlockId> ids;
  private final BlockCache cache;
  private final BlockFlights flights;
  private final Executor readers;
  private final ProxyMetrics metrics;
  private final ByteBufAllocator alloc;
  private final ConcurrentLinkedQueue<Item> ready = new ConcurrentLinkedQueue<>();
  private int sent;
  private boolean ended;

  /** What the streamer needs of a server call (a seam for tests). */
  interface ClientCall {
    void more(Reply r);

    void reply(Reply r);

    void fail(Throwable t);

    boolean isOpen();

    boolean isWritable();

    void whenWritable(Runnable r);
  }

  BlockStreamer(ClientCall call, List<BlockId> ids, BlockCache cache, BlockFlights flights, Executor readers,
      ProxyMetrics metrics, ByteBufAllocator alloc) {
    this.call = call;
    this.ids = ids;
    this.cache = cache;
    this.flights = flights;
    this.readers = readers;
    this.metrics = metrics;
    this.alloc = alloc;
  }

  /** Runs on a reader thread. */
  void start() {
    List<BlockId> misses = new ArrayList<>();
    for (BlockId id : ids) {
      if (cache.contains(id)) {
        ready.add(new Hit(id));
      } else {
        metrics.cacheMiss();
        misses.add(id);
      }
    }
    fetch(misses);
    drain();
  }

  private void fetch(List<BlockId> misses) {
    if (misses.isEmpty()) {
      return;
    }
    Map<BlockId, CompletableFuture<Optional<byte[]>>> futures = flights.fetch(misses);
    for (BlockId id : misses) {
      futures.get(id).whenComplete((cipher, err) -> {
        ready.add(err == null ? new Fetched(id, cipher) : new Failed(Errors.unwrap(err)));
        schedule();
      });
    }
  }

  private void schedule() {
    try {
      readers.execute(this::drain);
    } catch (RuntimeException e) {
      drain();
    }
  }

  private synchronized void drain() {
    while (!ended && sent < ids.size()) {
      if (!call.isOpen()) {
        ended = true;
        ready.clear();
        return;
      }
      if (!call.isWritable()) {
        call.whenWritable(this::schedule);
        return;
      }
      Item item = ready.poll();
      if (item == null) {
        return;
      }
      Reply reply;
      switch (item) {
        case Hit h -> {
          Optional<ByteBuf> buf = cache.read(h.id(), alloc);
          if (buf.isEmpty()) {
            // Evicted since start(), or dropped as corrupt: fetch it like any miss.
            metrics.cacheMiss();
            fetch(List.of(h.id()));
            continue;
          }
          metrics.cacheHit(buf.get().readableBytes());
          reply = blockData(h.id(), buf.get());
        }
        case Fetched f -> reply = f.cipher().isPresent()
            ? blockData(f.id(), Unpooled.wrappedBuffer(f.cipher().get()))
            : new BlockMissing(f.id());
        case Failed f -> {
          ended = true;
          ready.clear();
          call.fail(f.error());
          return;
        }
      }
      sent++;
      if (sent == ids.size()) {
        ended = true;
        call.reply(reply);
      } else {
        call.more(reply);
      }
    }
  }

  private static BlockData blockData(BlockId id, ByteBuf buf) {
    try {
      return new BlockData(id, buf);
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
  }
}
