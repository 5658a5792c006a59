package dev.outpost.proxy.warm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.BlockRef;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.SnapshotInfo;
import dev.outpost.proxy.cache.BlockCache;
import dev.outpost.proxy.cache.BlockFlights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm jobs: list the blocks of a snapshot (or the live volume) under some paths from the origin, skip those the
 * cache holds, fetch the rest through the single-flight fetcher with several GET_BLOCKS batches in flight (a WAN
 * link is filled by concurrency, not by one request), optionally pinning them and capping the fetch rate; then
 * list the live volume's directories under the same paths into the attribute cache ({@link ListingWarmer}), so a
 * client's tree walk afterwards asks the origin for neither blocks nor listings.
 *
 * <p>Jobs run one at a time, in submission order, on one thread ({@code proxy-warm}). Specs and progress are
 * persisted in {@value #FILE} in the cache directory; a job that was queued or running when the proxy stopped is
 * resumed at the next start. Resuming re-lists and skips what is present, so blocks fetched before the stop are
 * not fetched again (they count as present in the resumed run). Thread-safe.
 */
public final class WarmJobs implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WarmJobs.class);
  public static final String FILE = "warm-jobs.json";
  /** Blocks per GET_BLOCKS batch a job sends. */
  static final int BATCH_BLOCKS = 64;
  /** Cipher bytes per batch at most (without a rate cap). */
  static final long BATCH_BYTES = 4L << 20;
  /** Batches in flight per job: enough to keep a long fat pipe busy while answers stream back. */
  static final int IN_FLIGHT_BATCHES = 8;
  /** Finished jobs kept (memory and file). */
  static final int KEEP_FINISHED = 100;
  /** Progress is persisted at most this often while a job runs. */
  static final long SAVE_INTERVAL_NANOS = 2_000_000_000L;

  /** What the file holds. */
  record Persisted(long nextId, List<JobView> jobs) {}

  private final BlockCache cache;
  private final BlockFlights flights;
  private final BlockLister lister;
  private final ListingWarmer listings;
  private final PinBook pins;
  private final Path file;
  private final Clock clock;
  private final BooleanSupplier originUp;
  private final ObjectMapper json = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private final Map<String, WarmJob> jobs = new LinkedHashMap<>();
  private final ExecutorService runner = Executors.newSingleThreadExecutor(
      r -> Thread.ofPlatform().name("proxy-warm").daemon(true).unstarted(r));
  private long nextId = 1;
  private volatile boolean closing;
  private long lastSaveNanos;

  private WarmJobs(BlockCache cache, BlockFlights flights, BlockLister lister, ListingWarmer listings, PinBook pins,
      Path dir, Clock clock, BooleanSupplier originUp) {
    this.cache = cache;
    this.flights = flights;
    this.lister = lister;
    this.listings = listings;
    this.pins = pins;
    this.file = dir.resolve(FILE);
    this.clock = clock;
    this.originUp = originUp;
  }

  /**
   * Loads the jobs persisted in {@code dir} and resumes those that were queued or running.
   *
   * @param originUp whether the origin link is up now: submissions then check their snapshot at once
   */
  public static WarmJobs open(BlockCache cache, BlockFlights flights, BlockLister lister, ListingWarmer listings,
      PinBook pins, Path dir, Clock clock, BooleanSupplier originUp) {
    WarmJobs w = new WarmJobs(cache, flights, lister, listings, pins, dir, clock, originUp);
    w.load();
    return w;
  }

  private void load() {
    if (!Files.exists(file)) {
      return;
    }
    Persisted p;
    try {
      p = json.readValue(file.toFile(), Persisted.class);
    } catch (IOException e) {
      log.warn("warm job file {} cannot be read ({}); starting without job history", file, e.getMessage());
      return;
    }
    int resumed = 0;
    synchronized (this) {
      nextId = Math.max(1, p.nextId());
      for (JobView v : p.jobs() == null ? List.<JobView>of() : p.jobs()) {
        WarmSpec spec;
        try {
          spec = new WarmSpec(v.snapshot(), v.paths(), v.pin(), v.rateBytesPerSec());
        } catch (OutpostException e) {
          log.warn("persisted warm job {} is invalid ({}): dropped", v.id(), e.getMessage());
          continue;
        }
        boolean unfinished = !v.state().finished();
        WarmJob job = new WarmJob(v.id(), spec, v.snapshot(), unfinished ? JobState.QUEUED : v.state(),
            v.startedAtMillis(), v.finishedAtMillis(), v.error());
        if (unfinished) {
          resumed++;
          runner.execute(() -> run(job));
        } else {
          job.restoreCounters(v);
        }
        jobs.put(job.id, job);
      }
    }
    if (resumed > 0) {
      log.info("resuming {} warm job(s) from {}", resumed, file);
    }
  }

  /**
   * Queues a job. If the origin is reachable, "latest" is resolved and a named snapshot checked now, so a typo
   * fails here rather than in the job; otherwise that happens when the job starts.
   *
   * @throws OutpostException NOT_FOUND for an unknown snapshot or none at all; UNAVAILABLE when stopping
   */
  public JobView submit(WarmSpec spec) {
    String snapshot = spec.snapshot();
    if (originUp.getAsBoolean()) {
      if (snapshot.equals(WarmSpec.LATEST)) {
        snapshot = lister.latestSnapshot();
      } else if (!snapshot.equals(SnapshotInfo.LIVE)) {
        String name = snapshot;
        if (lister.snapshots().stream().noneMatch(s -> s.name().equals(name))) {
          throw new OutpostException(ErrorCode.NOT_FOUND, "no snapshot '" + name + "' on the origin");
        }
      }
    }
    WarmJob job;
    synchronized (this) {
      if (closing) {
        throw new OutpostException(ErrorCode.UNAVAILABLE, "the proxy is stopping");
      }
      job = new WarmJob("warm-" + nextId++, spec, snapshot, JobState.QUEUED, 0, 0, "");
      jobs.put(job.id, job);
      trimFinished();
    }
    log.info("warm job {} queued: snapshot '{}', paths {}, pin {}, rate {} B/s", job.id, snapshot, spec.paths(),
        spec.pin(), spec.rateBytesPerSec());
    save();
    runner.execute(() -> run(job));
    return job.view(System.nanoTime());
  }

  /** Every job known, oldest first. */
  public synchronized List<JobView> list() {
    long now = System.nanoTime();
    return jobs.values().stream().map(j -> j.view(now)).toList();
  }

  public synchronized Optional<JobView> get(String id) {
    return Optional.ofNullable(jobs.get(id)).map(j -> j.view(System.nanoTime()));
  }

  /**
   * Cancels a queued or running job (a running one stops within a batch; fetches already sent complete).
   * Cancelling a finished job changes nothing.
   */
  public Optional<JobView> cancel(String id) {
    WarmJob job;
    synchronized (this) {
      job = jobs.get(id);
    }
    if (job == null) {
      return Optional.empty();
    }
    synchronized (job) {
      if (!job.state().finished()) {
        job.cancelRequested = true;
        if (job.state() == JobState.QUEUED) {
          job.finish(JobState.CANCELLED, "", clock.millis());
        }
      }
    }
    save();
    return Optional.of(job.view(System.nanoTime()));
  }

  private void trimFinished() {
    long finished = jobs.values().stream().filter(j -> j.state().finished()).count();
    var it = jobs.values().iterator();
    while (finished > KEEP_FINISHED && it.hasNext()) {
      if (it.next().state().finished()) {
        it.remove();
        finished--;
      }
    }
  }

  private boolean stopping(WarmJob job) {
    return closing || job.cancelRequested;
  }

  private void run(WarmJob job) {
    synchronized (job) {
      if (job.state().finished() || closing) {
        return;
      }
      job.running(clock.millis(), System.nanoTime());
    }
    save();
    Fetcher fetcher = null;
    try {
      String snapshot = job.snapshot();
      if (snapshot.equals(WarmSpec.LATEST)) {
        snapshot = lister.latestSnapshot();
        job.resolved(snapshot);
      }
      log.info("warm job {} running: snapshot '{}', paths {}", job.id, snapshot, job.requested.paths());
      fetcher = new Fetcher(job);
      for (String prefix : job.requested.paths()) {
        if (stopping(job)) {
          break;
        }
        lister.list(snapshot, prefix, fetcher::offer, () -> stopping(job));
      }
      if (!stopping(job)) {
        job.listingDone();
      }
      fetcher.drain();
      if (!stopping(job)) {
        // Then the listings of the live tree: clients read the live volume, whichever snapshot gave the blocks.
        listings.warm(job.requested.paths(), () -> stopping(job), job.dirsListed::incrementAndGet);
      }
    } catch (OutpostException e) {
      if (fetcher != null) {
        fetcher.drainQuietly();
      }
      if (!closing) {
        end(job, JobState.FAILED, e.getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("warm job {} failed", job.id, e);
      end(job, JobState.FAILED, "internal error: " + e);
    } finally {
      flushPins();
    }
    if (!job.state().finished()) {
      if (job.cancelRequested) {
        end(job, JobState.CANCELLED, "");
      } else if (closing) {
        log.info("warm job {} interrupted by shutdown; it resumes at the next start", job.id);
      } else if (job.blocksFailed.get() > 0) {
        end(job, JobState.FAILED, job.blocksFailed.get() + " block(s) could not be fetched"
            + fetcher.firstError.get().map(s -> " (" + s + ")").orElse(""));
      } else {
        end(job, JobState.DONE, "");
      }
    }
    save();
  }

  private void end(WarmJob job, JobState state, String error) {
    job.finish(state, error, clock.millis());
    JobView v = job.view(System.nanoTime());
    log.info("warm job {} {}: {} blocks ({} bytes) present, {} ({} bytes) fetched, {} failed, {} directories "
        + "listed{}", job.id, state.name().toLowerCase(java.util.Locale.ROOT), v.blocksPresent(), v.bytesPresent(),
        v.blocksFetched(), v.bytesFetched(), v.blocksFailed(), v.dirsListed(), error.isEmpty() ? "" : ": " + error);
  }

  private void flushPins() {
    try {
      pins.flush();
    } catch (OutpostException e) {
      log.warn("{}", e.getMessage());
    }
  }

  /** Sorts one job's listed blocks into present and to-fetch, and fetches in paced, parallel batches. */
  private final class Fetcher {
    private final WarmJob job;
    private final Set<BlockId> seen = new HashSet<>();
    private final Semaphore inFlight = new Semaphore(IN_FLIGHT_BATCHES);
    private final Optional<TokenBucket> bucket;
    private final long batchBytes;
    private final AtomicReference<Optional<String>> firstError = new AtomicReference<>(Optional.empty());
    private List<BlockRef> pending = new ArrayList<>();
    private long pendingBytes;

    Fetcher(WarmJob job) {
      this.job = job;
      long rate = job.requested.rateBytesPerSec();
      // Under a cap, batches are a quarter second's worth, so pacing stays smooth and the rate holds over a run.
      this.batchBytes = rate > 0 ? Math.max(1, Math.min(BATCH_BYTES, rate / 4)) : BATCH_BYTES;
      this.bucket = rate > 0
          ? Optional.of(new TokenBucket(rate, Math.max(batchBytes, Frames.MAX_BLOCK_BYTES), System::nanoTime))
          : Optional.empty();
    }

    void offer(List<BlockRef> refs) {
      for (BlockRef ref : refs) {
        if (stopping(job)) {
          return;
        }
        if (!seen.add(ref.id())) {
          continue; // listed under two of the job's paths
        }
        job.blocksTotal.incrementAndGet();
        job.bytesTotal.addAndGet(ref.cipherLength());
        if (job.requested.pin()) {
          pins.pin(ref.id(), ref.cipherLength());
        }
        if (cache.contains(ref.id())) {
          job.blocksPresent.incrementAndGet();
          job.bytesPresent.addAndGet(ref.cipherLength());
          continue;
        }
        pending.add(ref);
        pendingBytes += ref.cipherLength();
        if (pending.size() >= Math.min(BATCH_BLOCKS, GetBlocks.MAX_IDS) || pendingBytes >= batchBytes) {
          dispatch();
        }
      }
    }

    private void dispatch() {
      if (pending.isEmpty() || stopping(job)) {
        return;
      }
      List<BlockRef> batch = pending;
      long bytes = pendingBytes;
      pending = new ArrayList<>();
      pendingBytes = 0;
      try {
        inFlight.acquire();
        if (bucket.isPresent()) {
          bucket.get().acquire(bytes);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OutpostException(ErrorCode.UNAVAILABLE, "warm job interrupted", e);
      }
      Map<BlockId, Integer> lengths = new LinkedHashMap<>();
      batch.forEach(r -> lengths.put(r.id(), r.cipherLength()));
      Map<BlockId, CompletableFuture<Optional<byte[]>>> futures;
      try {
        futures = flights.fetch(lengths.keySet());
      } catch (RuntimeException e) {
        inFlight.release();
        throw e;
      }
      AtomicInteger left = new AtomicInteger(futures.size());
      futures.forEach((id, f) -> f.whenComplete((cipher, err) -> {
        if (err == null && cipher.isPresent()) {
          job.fetched(cipher.get().length, System.nanoTime());
        } else {
          job.blocksFailed.incrementAndGet();
          job.bytesFailed.addAndGet(lengths.get(id));
          String why = err != null ? dev.outpost.transport.Errors.unwrap(err).getMessage()
              : "the origin does not have block " + id;
          firstError.compareAndSet(Optional.empty(), Optional.of(why));
        }
        if (left.decrementAndGet() == 0) {
          inFlight.release();
        }
      }));
      maybeSave();
    }

    /** Sends what is pending and waits for every batch in flight. */
    void drain() throws InterruptedException {
      dispatch();
      inFlight.acquire(IN_FLIGHT_BATCHES);
      inFlight.release(IN_FLIGHT_BATCHES);
    }

    void drainQuietly() {
      try {
        pending.clear();
        if (inFlight.tryAcquire(IN_FLIGHT_BATCHES, 30, TimeUnit.SECONDS)) {
          inFlight.release(IN_FLIGHT_BATCHES);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void maybeSave() {
    long now = System.nanoTime();
    if (now - lastSaveNanos > SAVE_INTERVAL_NANOS) {
      lastSaveNanos = now;
      save();
      flushPins();
    }
  }

  /** Writes every job's spec and progress, replacing the file atomically. */
  private void save() {
    Persisted p;
    synchronized (this) {
      long now = System.nanoTime();
      p = new Persisted(nextId, jobs.values().stream().map(j -> j.view(now)).toList());
    }
    synchronized (file) {
      Path tmp = file.resolveSibling(FILE + ".tmp");
      try {
        json.writeValue(tmp.toFile(), p);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        log.warn("cannot persist warm jobs to {}: {}", file, e.getMessage());
      }
    }
  }

  /**
   * Stops: a running job stops after the batches in flight (it stays RUNNING in the file and resumes at the next
   * start); then the state is written.
   */
  @Override
  public void close() {
    closing = true;
    runner.shutdown();
    try {
      if (!runner.awaitTermination(15, TimeUnit.SECONDS)) {
        runner.shutdownNow();
        runner.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      runner.shutdownNow();
    }
    save();
    flushPins();
  }
}
