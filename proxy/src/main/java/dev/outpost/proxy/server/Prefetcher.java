package dev.outpost.proxy.server;

import dev.outpost.core.BlockId;
import dev.outpost.core.BlockRef;
import dev.outpost.core.VolumePath;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.IndexBlock;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileType;
import dev.outpost.proxy.attrs.OriginAttrs;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.cache.BlockFlights;
import dev.outpost.proxy.metrics.ProxyMetrics;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches ahead what a tree reader is about to ask for, so a sequential walk pays no WAN round trip per file or
 * per directory: a directory a client lists has the whole files of its first {@link Policy#dirBytes} (in name
 * order, data and index blocks: each index block's children are asked for the moment it arrives) fetched, and
 * its subdirectories listed ahead {@link Policy#dirDepth} levels deep (their pages and attributes cached as a
 * client's READDIR would, each one prefetched the same way). Files larger than {@link Policy#maxFileBytes} or
 * beyond the directory's budget get only their root block (the open then costs no trip; the client's read-ahead
 * streams the rest).
 *
 * <p>Bounds: at most {@link Policy#inFlightBytes} of prefetch ciphertext is being fetched at once; further
 * batches wait in a FIFO of at most {@link #MAX_QUEUED} batches (beyond it they are dropped: the reader fetches
 * those blocks itself). Clients' own misses go straight to the single-flight fetcher, never through this queue,
 * and while any of them is being fetched no new batch starts (the WAN is shared: a reader streaming a file the
 * look-ahead did not cover gets the link; the queue resumes when the reader's misses are answered); a block the
 * reader asks for while its prefetch is in flight joins it, and that does not hold the queue back.
 * Failures are ignored: a prefetch is only a hint.
 */
final class Prefetcher {
  private static final Logger log = LoggerFactory.getLogger(Prefetcher.class);
  /** Prefetch batches waiting for the in-flight bound, at most. */
  static final int MAX_QUEUED = 4096;
  /** Directories remembered as done; the memory is cleared past this (they may then be prefetched again). */
  private static final int MAX_DONE = 65_536;

  /**
   * @param maxFileBytes largest file fetched whole (0 = no blocks prefetched)
   * @param maxBlocks blocks per directory page, at most
   * @param dirBytes file bytes fetched whole per directory page (name order)
   * @param inFlightBytes prefetch ciphertext being fetched at once, at most
   * @param dirDepth levels of subdirectories listed ahead below a listed directory (0 = none)
   */
  record Policy(long maxFileBytes, int maxBlocks, long dirBytes, long inFlightBytes, int dirDepth) {}

  private record Batch(List<BlockRef> refs, boolean expand, long bytes) {}

  private record Done(DirPage page, int depth) {}

  private final Policy policy;
  /** Where planning runs: never an event loop (it may read cached index blocks from LMDB). */
  private final Executor work;
  private final OriginAttrs listings;
  private final BlockCache cache;
  private final BlockFlights flights;
  private final ProxyMetrics metrics;
  private final Map<String, Done> done = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private final ArrayDeque<Batch> queue = new ArrayDeque<>();
  private long inFlightBytes;
  private final java.util.concurrent.atomic.AtomicLong listingsAhead = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong listingsPending = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();

  Prefetcher(Policy policy, OriginAttrs listings, BlockCache cache, BlockFlights flights, ProxyMetrics metrics,
      Executor work) {
    this.work = work;
    this.policy = policy;
    this.listings = listings;
    this.cache = cache;
    this.flights = flights;
    this.metrics = metrics;
    flights.onReaderIdle(this::resume);
  }

  /** The readers' misses are answered: start what waited, off the answering thread (it may be an event loop). */
  private void resume() {
    synchronized (lock) {
      if (queue.isEmpty()) {
        return;
      }
    }
    try {
      work.execute(this::drain);
    } catch (RejectedExecutionException e) {
      drain();
    }
  }

  /** A client listed {@code dir} (cached or not): prefetch its files and list ahead below it. */
  void listed(String dir, String startAfter, DirPage page) {
    schedule(dir, () -> expand(dir, startAfter, page, policy.dirDepth()));
  }

  /** Runs {@code task} on the work pool, counted as pending until done; a busy pool just skips the hint. */
  private void schedule(String dir, Runnable task) {
    listingsPending.incrementAndGet();
    try {
      work.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          log.debug("prefetch under {} failed", dir, e);
        } finally {
          listingsPending.decrementAndGet();
        }
      });
    } catch (RejectedExecutionException e) {
      listingsPending.decrementAndGet();
      log.debug("work pool busy: nothing prefetched under {}", dir);
    }
  }

  private void expand(String dir, String startAfter, DirPage page, int depth) {
    String key = dir + '\0' + startAfter;
    Done before = done.get(key);
    if (before != null && before.page() == page && before.depth() >= depth) {
      return;
    }
    if (done.size() >= MAX_DONE) {
      done.clear();
    }
    done.put(key, new Done(page, depth));
    if (before == null || before.page() != page) {
      prefetchFiles(page);
    }
    if (depth > 0 && startAfter.isEmpty()) {
      List<DirEntry> dirs = new ArrayList<>();
      for (DirEntry e : page.entries()) {
        if (e.attr().type() == FileType.DIRECTORY) {
          dirs.add(e);
        }
      }
      dirs.sort(Comparator.comparing(DirEntry::name));
      for (DirEntry d : dirs) {
        listAhead(VolumePath.join(dir, d.name()), depth - 1);
      }
    }
  }

  /**
   * Lists {@code dir} from the cache, or from the origin on the proxy's own session (cached as a client's READDIR
   * would be), then expands it.
   */
  private void listAhead(String dir, int depth) {
    if (!listings.live()) {
      return; // nothing cached would be served: not worth a trip
    }
    Optional<DirPage> hit = listings.cachedPage(dir, "");
    if (hit.isPresent()) {
      expand(dir, "", hit.get(), depth);
      return;
    }
    listingsAhead.incrementAndGet();
    listingsPending.incrementAndGet();
    listings.listPage(dir, "").whenComplete((listed, err) -> {
      try {
        if (err == null) {
          schedule(dir, () -> expand(dir, "", listed.answer(), depth));
        } else {
          log.debug("listing {} ahead failed", dir, err);
        }
      } finally {
        listingsPending.decrementAndGet();
      }
    });
  }

  /** Whole files in name order while the directory's budget lasts; of the rest, only the root blocks. */
  private void prefetchFiles(DirPage page) {
    if (policy.maxFileBytes() <= 0 || policy.maxBlocks() <= 0) {
      return;
    }
    List<DirEntry> files = new ArrayList<>();
    for (DirEntry e : page.entries()) {
      if (e.attr().type() == FileType.FILE && e.attr().root().isPresent()) {
        files.add(e);
      }
    }
    files.sort(Comparator.comparing(DirEntry::name));
    List<BlockRef> whole = new ArrayList<>();
    List<BlockRef> rootsOnly = new ArrayList<>();
    long budget = policy.dirBytes();
    int blocks = 0;
    for (DirEntry e : files) {
      var root = e.attr().root().get();
      BlockRef ref = new BlockRef(root.block(), root.cipherLength());
      long size = Math.max(e.attr().size(), root.cipherLength());
      if (blocks >= policy.maxBlocks()) {
        break;
      }
      blocks++;
      if (size <= policy.maxFileBytes() && size <= budget) {
        budget -= size;
        whole.add(ref);
      } else if (!cache.contains(root.block())) {
        rootsOnly.add(ref);
      }
    }
    submit(whole, true);
    submit(rootsOnly, false);
  }

  private void submit(List<BlockRef> refs, boolean expand) {
    if (refs.isEmpty()) {
      return;
    }
    long bytes = 0;
    for (BlockRef r : refs) {
      bytes += r.cipherLength();
    }
    synchronized (lock) {
      if (queue.size() >= MAX_QUEUED) {
        dropped.addAndGet(refs.size());
        return;
      }
      queue.add(new Batch(refs, expand, bytes));
    }
    drain();
  }

  private void drain() {
    while (true) {
      Batch b;
      synchronized (lock) {
        if (queue.isEmpty() || flights.readerFlights() > 0
            || (inFlightBytes > 0 && inFlightBytes + queue.peek().bytes() > policy.inFlightBytes())) {
          return; // a reader's own misses first: resume() drains when they are answered
        }
        b = queue.poll();
        inFlightBytes += b.bytes();
      }
      start(b);
    }
  }

  private void start(Batch b) {
    List<BlockId> ids = new ArrayList<>();
    Map<BlockId, Integer> lengths = new java.util.HashMap<>();
    long skipped = 0;
    for (BlockRef r : b.refs()) {
      // An index block already cached is still read (from the cache) when expanding: its children may not be.
      if (b.expand() || !cache.contains(r.id())) {
        if (lengths.putIfAbsent(r.id(), r.cipherLength()) == null) {
          ids.add(r.id());
        } else {
          skipped += r.cipherLength();
        }
      } else {
        skipped += r.cipherLength();
      }
    }
    release(skipped);
    if (ids.isEmpty()) {
      return;
    }
    int fetching = 0;
    for (BlockId id : ids) {
      if (!cache.contains(id)) {
        fetching++;
      }
    }
    metrics.prefetched(fetching); // index blocks read back from the cache to expand them are not prefetches
    Map<BlockId, CompletableFuture<Optional<byte[]>>> fs;
    try {
      fs = flights.fetchAhead(ids);
    } catch (RuntimeException e) {
      log.debug("prefetch of {} blocks failed to start", ids.size(), e);
      release(b.bytes() - skipped);
      return;
    }
    for (BlockId id : ids) {
      int length = lengths.get(id);
      fs.get(id).whenComplete((bytes, err) -> {
        try {
          if (b.expand() && err == null && bytes.isPresent() && bytes.get().length > 0
              && bytes.get()[0] == BlockFormat.INDEX) {
            List<BlockRef> children = IndexBlock.readPublic(bytes.get());
            List<BlockRef> missing = new ArrayList<>();
            boolean childrenAreIndex = IndexBlock.level(bytes.get()) > 1;
            for (BlockRef c : children) {
              if (childrenAreIndex || !cache.contains(c.id())) {
                missing.add(c);
              }
            }
            submit(missing, childrenAreIndex);
          }
        } catch (RuntimeException e) {
          log.debug("prefetch: index block {} not expanded", id, e);
        } finally {
          release(length);
        }
      });
    }
  }

  private void release(long bytes) {
    if (bytes == 0) {
      return;
    }
    synchronized (lock) {
      inFlightBytes -= bytes;
    }
    drain();
  }

  /** Directories listed ahead from the origin so far. */
  long listingsAhead() {
    return listingsAhead.get();
  }

  /** Blocks not prefetched because the queue was full. */
  long dropped() {
    return dropped.get();
  }

  /** Nothing being listed, fetched or waiting (tests wait for this). */
  boolean idle() {
    synchronized (lock) {
      return inFlightBytes == 0 && queue.isEmpty() && listingsPending.get() == 0;
    }
  }
}
