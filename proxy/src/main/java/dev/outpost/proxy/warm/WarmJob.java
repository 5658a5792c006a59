package dev.outpost.proxy.warm;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One warm job's spec and live progress. Counters are updated by the job's thread and its fetch callbacks and
 * read by the admin API at any time. Thread-safe.
 */
final class WarmJob {
  /** The window {@link #rateNow} averages over. */
  static final long RATE_WINDOW_NANOS = 5_000_000_000L;

  final String id;
  final WarmSpec requested;
  private volatile String snapshot;
  private volatile JobState state;
  private volatile String error = "";
  private volatile long startedAtMillis;
  private volatile long finishedAtMillis;
  private volatile boolean listingDone;
  volatile boolean cancelRequested;

  final AtomicLong blocksTotal = new AtomicLong();
  final AtomicLong blocksPresent = new AtomicLong();
  final AtomicLong blocksFetched = new AtomicLong();
  final AtomicLong blocksFailed = new AtomicLong();
  final AtomicLong bytesTotal = new AtomicLong();
  final AtomicLong bytesPresent = new AtomicLong();
  final AtomicLong bytesFetched = new AtomicLong();
  final AtomicLong bytesFailed = new AtomicLong();
  final AtomicLong dirsListed = new AtomicLong();
  /** (nanoTime, bytesFetched) samples within the rate window. */
  private final ArrayDeque<long[]> samples = new ArrayDeque<>();

  WarmJob(String id, WarmSpec requested, String snapshot, JobState state, long startedAtMillis,
      long finishedAtMillis, String error) {
    this.id = id;
    this.requested = requested;
    this.snapshot = snapshot;
    this.state = state;
    this.startedAtMillis = startedAtMillis;
    this.finishedAtMillis = finishedAtMillis;
    this.error = error == null ? "" : error;
  }

  /** The snapshot to list: resolved name, or the request's own ("latest" until resolved). */
  String snapshot() {
    return snapshot;
  }

  void resolved(String name) {
    this.snapshot = name;
  }

  JobState state() {
    return state;
  }

  synchronized void running(long nowMillis, long nowNanos) {
    state = JobState.RUNNING;
    if (startedAtMillis == 0) {
      startedAtMillis = nowMillis;
    }
    samples.clear();
    samples.add(new long[] {nowNanos, bytesFetched.get()});
  }

  synchronized void finish(JobState end, String why, long nowMillis) {
    state = end;
    error = why == null ? "" : why;
    finishedAtMillis = nowMillis;
  }

  void listingDone() {
    listingDone = true;
  }

  synchronized void fetched(long bytes, long nowNanos) {
    blocksFetched.incrementAndGet();
    bytesFetched.addAndGet(bytes);
    samples.add(new long[] {nowNanos, bytesFetched.get()});
    while (samples.size() > 2 && nowNanos - samples.peekFirst()[0] > RATE_WINDOW_NANOS) {
      samples.pollFirst();
    }
  }

  synchronized long rateNow(long nowNanos) {
    if (state != JobState.RUNNING || samples.isEmpty()) {
      return 0;
    }
    long[] first = samples.peekFirst();
    long elapsed = nowNanos - first[0];
    if (elapsed <= 0) {
      return 0;
    }
    return (long) ((bytesFetched.get() - first[1]) * 1e9 / elapsed);
  }

  synchronized JobView view(long nowNanos) {
    long rate = rateNow(nowNanos);
    long left = bytesTotal.get() - bytesPresent.get() - bytesFetched.get() - bytesFailed.get();
    long eta = state.finished() ? 0 : listingDone && rate > 0 ? Math.max(0, left) / rate : -1;
    return new JobView(id, JobView.KIND_WARM, state, snapshot, requested.paths(), requested.pin(),
        requested.rateBytesPerSec(), blocksTotal.get(), blocksPresent.get(), blocksFetched.get(), blocksFailed.get(),
        bytesTotal.get(), bytesPresent.get(), bytesFetched.get(), dirsListed.get(), rate, eta, startedAtMillis,
        finishedAtMillis, error);
  }

  /** Restores the counters persisted for a finished job (so its history still shows what it did). */
  void restoreCounters(JobView v) {
    blocksTotal.set(v.blocksTotal());
    blocksPresent.set(v.blocksPresent());
    blocksFetched.set(v.blocksFetched());
    blocksFailed.set(v.blocksFailed());
    bytesTotal.set(v.bytesTotal());
    bytesPresent.set(v.bytesPresent());
    bytesFetched.set(v.bytesFetched());
    dirsListed.set(v.dirsListed());
    listingDone = true;
  }
}
