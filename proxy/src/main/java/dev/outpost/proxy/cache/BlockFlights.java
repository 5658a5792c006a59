package dev.outpost.proxy.cache;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.BlockIds;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.proxy.metrics.ProxyMetrics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches cache misses from the origin with single flight: while a block is being fetched, every other
 * request for it joins the same future, so a thousand clients missing one block cost one origin fetch. A
 * flight stays joinable until its block is committed to the cache and indexed, so no request in between
 * fetches it a second time.
 *
 * <p>Every block from the origin is hashed before anyone sees it; one that does not match its id fails its
 * flight with BLOCK_CORRUPT and is neither cached nor served.
 *
 * <p>Flights a reader started ({@link #fetch}) are counted until answered, so look-ahead ({@link #fetchAhead})
 * can stay off the link while a reader waits for its own misses ({@link #readerFlights}, {@link #onReaderIdle}).
 * A reader joining a look-ahead flight is not counted: that flight is already what the reader needs. Thread-safe.
 */
public final class BlockFlights {
  private static final Logger log = LoggerFactory.getLogger(BlockFlights.class);

  private final BlockCache cache;
  private final BlockSource source;
  private final Executor verifier;
  private final ProxyMetrics metrics;
  private final Map<BlockId, CompletableFuture<Optional<byte[]>>> inFlight = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger readerFlights = new java.util.concurrent.atomic.AtomicInteger();
  private final List<Runnable> readerIdle = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** @param verifier where hashing of fetched blocks runs (not an event loop) */
  public BlockFlights(BlockCache cache, BlockSource source, Executor verifier, ProxyMetrics metrics) {
    this.cache = cache;
    this.source = source;
    this.verifier = verifier;
    this.metrics = metrics;
  }

  /**
   * Futures for the verified bytes of each id (empty if the origin does not have it). Ids not already in flight
   * are asked of the origin in batches of at most {@link GetBlocks#MAX_IDS}. The arrays are shared between
   * waiters: read them, never write them. Flights started here are a reader's: counted by {@link #readerFlights}
   * until answered.
   */
  public Map<BlockId, CompletableFuture<Optional<byte[]>>> fetch(Collection<BlockId> ids) {
    return fetch(ids, true);
  }

  /** As {@link #fetch}, for look-ahead: the flights started are not counted as a reader's. */
  public Map<BlockId, CompletableFuture<Optional<byte[]>>> fetchAhead(Collection<BlockId> ids) {
    return fetch(ids, false);
  }

  /** Blocks being fetched because a reader missed them (not counting readers joined to look-ahead flights). */
  public int readerFlights() {
    return readerFlights.get();
  }

  /** Runs {@code listener} (on the answering thread) each time {@link #readerFlights} drops to zero. */
  public void onReaderIdle(Runnable listener) {
    readerIdle.add(listener);
  }

  private Map<BlockId, CompletableFuture<Optional<byte[]>>> fetch(Collection<BlockId> ids, boolean reader) {
    Map<BlockId, CompletableFuture<Optional<byte[]>>> out = new LinkedHashMap<>();
    List<BlockId> mine = new ArrayList<>();
    for (BlockId id : ids) {
      if (out.containsKey(id)) {
        continue;
      }
      CompletableFuture<Optional<byte[]>> created = new CompletableFuture<>();
      CompletableFuture<Optional<byte[]>> existing = inFlight.putIfAbsent(id, created);
      if (existing != null) {
        metrics.coalesced();
        out.put(id, existing);
      } else if (cache.contains(id)) {
        // The caller's cache miss may predate a flight that landed meanwhile: a flight leaves the map only
        // after its block is in the cache index, so this re-check closes the gap and keeps one fetch per block.
        out.put(id, created);
        completeFromCache(id, created);
      } else {
        out.put(id, created);
        mine.add(id);
        if (reader) {
          readerFlights.incrementAndGet();
          created.whenComplete((bytes, err) -> readerAnswered());
        }
      }
    }
    for (int from = 0; from < mine.size(); from += GetBlocks.MAX_IDS) {
      List<BlockId> batch = List.copyOf(mine.subList(from, Math.min(mine.size(), from + GetBlocks.MAX_IDS)));
      Map<BlockId, CompletableFuture<Optional<byte[]>>> flights = new LinkedHashMap<>();
      batch.forEach(id -> flights.put(id, out.get(id)));
      start(batch, flights);
    }
    return out;
  }

  private void readerAnswered() {
    if (readerFlights.decrementAndGet() == 0) {
      for (Runnable r : readerIdle) {
        try {
          r.run();
        } catch (RuntimeException e) {
          log.debug("reader-idle listener failed", e);
        }
      }
    }
  }

  private void completeFromCache(BlockId id, CompletableFuture<Optional<byte[]>> f) {
    try {
      Optional<io.netty.buffer.ByteBuf> cached = cache.read(id, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
      if (cached.isPresent()) {
        io.netty.buffer.ByteBuf buf = cached.get();
        try {
          f.complete(Optional.of(io.netty.buffer.ByteBufUtil.getBytes(buf)));
        } finally {
          buf.release();
        }
        inFlight.remove(id, f);
        return;
      }
    } catch (RuntimeException e) {
      log.debug("re-reading block {} from the cache failed; fetching it", id, e);
    }
    // Evicted or rotten between the check and the read: fetch it after all.
    start(List.of(id), new LinkedHashMap<>(java.util.Map.of(id, f)));
  }

  /** Blocks being fetched right now. */
  public int inFlight() {
    return inFlight.size();
  }

  private void start(List<BlockId> batch, Map<BlockId, CompletableFuture<Optional<byte[]>>> flights) {
    metrics.originBlockFetches(batch.size());
    try {
      source.fetch(batch, new FlightSink(flights, System.nanoTime()));
    } catch (RuntimeException e) {
      OutpostException oe = dev.outpost.transport.Errors.unwrap(e);
      flights.forEach((id, f) -> finish(id, f, oe));
    }
  }

  /** The answers of one upstream batch. */
  private final class FlightSink implements BlockSource.Sink {
    private final Map<BlockId, CompletableFuture<Optional<byte[]>>> flights;
    private final Set<BlockId> answered = ConcurrentHashMap.newKeySet();
    private final long startedNanos;

    FlightSink(Map<BlockId, CompletableFuture<Optional<byte[]>>> flights, long startedNanos) {
      this.flights = flights;
      this.startedNanos = startedNanos;
    }

    @Override
    public void block(BlockId id, byte[] cipher) {
      CompletableFuture<Optional<byte[]>> f = flights.get(id);
      if (f == null || !answered.add(id)) {
        log.warn("origin sent block {} that was not asked for (or twice)", id);
        return;
      }
      try {
        verifier.execute(() -> arrived(id, cipher, f));
      } catch (RuntimeException e) {
        finish(id, f, new OutpostException(ErrorCode.BUSY, "proxy is busy verifying blocks"));
      }
    }

    @Override
    public void missing(BlockId id) {
      CompletableFuture<Optional<byte[]>> f = flights.get(id);
      if (f != null && answered.add(id)) {
        f.complete(Optional.empty());
        inFlight.remove(id, f);
      }
    }

    @Override
    public void done(OutpostException error) {
      metrics.originRoundTrip(System.nanoTime() - startedNanos);
      OutpostException e = error != null ? error
          : new OutpostException(ErrorCode.UNAVAILABLE, "origin did not answer for a block");
      // Answered blocks complete after verification; only the unanswered fail here.
      flights.forEach((id, f) -> {
        if (!answered.contains(id)) {
          finish(id, f, e);
        }
      });
    }
  }

  private void arrived(BlockId id, byte[] cipher, CompletableFuture<Optional<byte[]>> f) {
    BlockId actual = BlockIds.of(cipher);
    if (!actual.equals(id)) {
      metrics.originCorrupt();
      log.warn("origin sent block {} whose bytes hash to {}: refused", id, actual);
      finish(id, f, new OutpostException(ErrorCode.BLOCK_CORRUPT, "block " + id + " from the origin hashes to " + actual));
      return;
    }
    metrics.fetchedFromOrigin(cipher.length);
    f.complete(Optional.of(cipher));
    cache.store(id, cipher).whenComplete((added, err) -> {
      if (err != null) {
        // Served all the same; the cache's writer reports failed writes (throttled) and counts them.
        log.debug("caching block {} failed: {}", id, err.toString());
      }
      inFlight.remove(id, f);
    });
  }

  private void finish(BlockId id, CompletableFuture<Optional<byte[]>> f, OutpostException e) {
    f.completeExceptionally(e);
    inFlight.remove(id, f);
  }
}
