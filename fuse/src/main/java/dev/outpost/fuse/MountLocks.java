package dev.outpost.fuse;

import dev.outpost.client.Lease;
import dev.outpost.client.OutpostClient;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.protocol.LeaseMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mount's file locks, backed by leases at the origin: the first lock on a file takes a lease on it (shared for
 * F_RDLCK / LOCK_SH, exclusive for F_WRLCK / LOCK_EX), so other mounts — at other branches or straight at the
 * origin — exclude this one as processes on one machine do. Between the processes of this mount the locks are
 * kept here, since the origin sees the whole mount as one holder.
 *
 * <ul>
 *   <li><b>Whole files.</b> A byte range is widened to the whole file, here and at the origin: two processes
 *       locking different ranges of one file exclude each other. An owner keeps its lock until it unlocks (any
 *       range) or closes; flock and fcntl locks of a file conflict with each other (as on NFS).
 *   <li><b>Lazy release.</b> When the last process unlocks, the lease is kept (and renewed), so locking the file
 *       again costs no round trip. It is given back when the origin recalls it (another party asks): at once if no
 *       process holds a lock, after committing the file's pending writes; else as soon as the last one unlocks.
 *       At most {@value #MAX_IDLE_LEASES} unused leases are kept; beyond, the least recently used is released.
 *   <li><b>Fencing.</b> Writes and namespace changes of a file whose lease this mount holds carry its token
 *       ({@link #tokenFor}). A lease lost while a process holds the lock (renewals refused, or none reached the
 *       origin within the ttl) makes every later change of the file fail FENCED at the call, logged, until the
 *       process unlocks: the holder learns it no longer excludes anyone, and the origin would refuse its writes
 *       anyway once another party took over.
 *   <li><b>Waiting.</b> A blocking lock waits for local holders and for the origin's grant (each refusal recalls
 *       the other party's lease) at most {@code lockWait}, then ENOLCK; it ends sooner with EINTR when the caller
 *       is interrupted (a signal: {@code flock -w} uses SIGALRM).
 * </ul>
 *
 * <p>Thread-safe: libfuse calls from several threads; lease events arrive on the client's lease-event thread.
 */
final class MountLocks {
  private static final Logger log = LoggerFactory.getLogger(MountLocks.class);
  static final int MAX_IDLE_LEASES = 256;
  private static final long POLL_MILLIS = 50;

  /** Who holds a lock: libfuse's owner id, per kind (flock: the open file description; fcntl: the process). */
  record Owner(boolean flock, long id) {}

  /** A lock another holder has, as F_GETLK reports it: pid 0 = at another mount. */
  record Conflict(LeaseMode mode, int pid) {}

  private record Hold(LeaseMode mode, int pid, LockRanges ranges) {}

  /** One file's locks and its lease. Guarded by the MountLocks monitor. */
  private static final class FileLocks {
    final String path;
    final Map<Owner, Hold> holders = new HashMap<>();
    Lease lease;
    boolean recalled;
    /** Its lease is being acquired or handed over: other lockers wait. */
    boolean busy;

    FileLocks(String path) {
      this.path = path;
    }
  }

  private final OutpostClient client;
  private final Duration ttl;
  private final Duration wait;
  /** Commits the pending writes of a path before its lease is given back. */
  private final Consumer<String> commitPending;
  /** Locks only between this mount's processes, no leases (a read-only mount or token cannot hold one). */
  private final boolean localOnly;
  /** Access order: the first entry without holders is the least recently used idle lease. */
  private final LinkedHashMap<String, FileLocks> files = new LinkedHashMap<>(16, 0.75f, true);
  private boolean closed;

  MountLocks(OutpostClient client, Duration ttl, Duration wait, boolean localOnly, Consumer<String> commitPending) {
    this.client = client;
    this.localOnly = localOnly;
    this.ttl = ttl;
    this.wait = wait;
    this.commitPending = commitPending;
  }

  /**
   * Takes or changes {@code owner}'s lock on {@code path}.
   *
   * @param mode the owner's whole-file mode from now on
   * @param ranges what an fcntl owner holds from now on ({@link LockRanges#NONE} for flock)
   * @param block wait for other holders (F_SETLKW, flock without LOCK_NB)
   * @param interrupted polled while waiting
   * @return 0, or why not: {@link Refusal}
   */
  Refusal lock(String path, Owner owner, LeaseMode mode, LockRanges ranges, int pid, boolean block,
      BooleanSupplier interrupted) {
    long deadline = System.nanoTime() + (block ? wait.toNanos() : 0);
    FileLocks f;
    Lease old;
    LeaseMode needed;
    synchronized (this) {
      while (true) {
        if (closed) {
          return Refusal.CLOSED;
        }
        f = files.computeIfAbsent(path, FileLocks::new);
        Optional<Conflict> local = localConflict(f, owner, mode);
        // One acquisition per file at a time: the origin replaces a party's overlapping lease by its newer grant.
        if (local.isEmpty() && !f.busy) {
          if (f.lease != null && !f.lease.isHeld() && !f.holders.isEmpty() && !onlyHolder(f, owner)) {
            // Another process holds the file under a lost lease: it must unlock before anyone locks again.
            return Refusal.LOST;
          }
          needed = mode;
          for (Map.Entry<Owner, Hold> h : f.holders.entrySet()) {
            if (!h.getKey().equals(owner) && h.getValue().mode() == LeaseMode.EXCLUSIVE) {
              needed = LeaseMode.EXCLUSIVE;
            }
          }
          if (localOnly || f.lease != null && f.lease.isHeld() && (f.lease.mode() == LeaseMode.EXCLUSIVE
              || needed == LeaseMode.SHARED)) {
            f.holders.put(owner, new Hold(mode, pid, ranges));
            return Refusal.NONE; // the lease kept covers it: no round trip
          }
          f.busy = true;
          old = f.lease;
          break;
        }
        if (local.isPresent() && !block) {
          return Refusal.HELD;
        }
        long left = deadline - System.nanoTime();
        if (local.isPresent() && left <= 0) {
          return Refusal.TIMED_OUT;
        }
        if (interrupted.getAsBoolean()) {
          return Refusal.INTERRUPTED;
        }
        try {
          wait(Math.max(1, Math.min(POLL_MILLIS, TimeUnit.NANOSECONDS.toMillis(Math.max(left, 1_000_000)))));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return Refusal.INTERRUPTED;
        }
      }
    }
    // Ask the origin outside the monitor: other files' locks go on meanwhile.
    Lease granted = null;
    try {
      granted = client.lease(path, needed, false, ttl, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
          interrupted);
    } catch (OutpostException e) {
      return switch (e.code()) {
        case LEASE_CONFLICT -> !block ? Refusal.HELD : interrupted.getAsBoolean() ? Refusal.INTERRUPTED
            : Refusal.TIMED_OUT;
        case OFFLINE -> {
          log.warn("lock {}: offline, no lease can be granted: {}", path, e.getMessage());
          yield Refusal.OFFLINE;
        }
        default -> throw e;
      };
    } finally {
      synchronized (this) {
        f.busy = false;
        if (granted != null && !closed) {
          f.lease = granted;
          f.recalled = false;
          // Local holders are checked again: none can have come while busy (they wait for it).
          f.holders.put(owner, new Hold(mode, pid, ranges));
          files.putIfAbsent(path, f);
          trimIdle();
        }
        dropIfUnused(f);
        notifyAll();
      }
    }
    watch(path, granted);
    if (old != null) {
      quietly(old); // the origin replaced it by the new grant (shared -> exclusive)
    }
    if (closedOrReplaced(f, granted)) {
      quietly(granted);
      return Refusal.CLOSED;
    }
    return Refusal.NONE;
  }

  private synchronized boolean closedOrReplaced(FileLocks f, Lease l) {
    return closed || f.lease != l;
  }

  /** What fcntl owner {@code owner} holds on {@code path} now. */
  synchronized LockRanges ranges(String path, Owner owner) {
    FileLocks f = files.get(path);
    Hold h = f == null ? null : f.holders.get(owner);
    return h == null ? LockRanges.NONE : h.ranges();
  }

  /** Drops {@code owner}'s lock on {@code path}; the lease stays unless it was recalled or lost. */
  void unlock(String path, Owner owner) {
    Lease release = null;
    FileLocks f;
    synchronized (this) {
      f = files.get(path);
      if (f == null || f.holders.remove(owner) == null) {
        return;
      }
      notifyAll();
      if (!f.holders.isEmpty()) {
        return;
      }
      if (f.lease != null && !f.lease.isHeld()) {
        f.lease = null; // lost: nothing to give back
      } else if (f.recalled && !f.busy) {
        release = f.lease;
        f.busy = true;
      }
      dropIfUnused(f);
      trimIdle(); // one more unused lease: keep to the bound
    }
    if (release != null) {
      handOver(f, release);
    }
  }

  /** Every lock of {@code owner} (a process that closed a file drops all its fcntl locks on it). */
  void unlockAll(Owner owner) {
    List<String> paths;
    synchronized (this) {
      paths = new ArrayList<>();
      for (FileLocks f : files.values()) {
        if (f.holders.containsKey(owner)) {
          paths.add(f.path);
        }
      }
    }
    for (String p : paths) {
      unlock(p, owner);
    }
  }

  /**
   * What F_GETLK reports for {@code owner} asking for {@code mode}: a conflicting local holder, or another
   * party's lease at the origin (one round trip, unless this mount's lease already covers the mode).
   */
  Optional<Conflict> conflict(String path, Owner owner, LeaseMode mode) {
    synchronized (this) {
      FileLocks f = files.get(path);
      if (f != null) {
        Optional<Conflict> local = localConflict(f, owner, mode);
        if (local.isPresent()) {
          return local;
        }
        if (f.lease != null && f.lease.isHeld() && (f.lease.mode() == LeaseMode.EXCLUSIVE || mode == LeaseMode.SHARED)) {
          return Optional.empty();
        }
      }
      if (localOnly) {
        return Optional.empty();
      }
    }
    for (LeaseInfo l : client.leases(path).leases()) {
      if (l.path().equals(path) || l.subtree()) {
        if (!ownToken(path, l.token()) && (mode == LeaseMode.EXCLUSIVE || l.mode() == LeaseMode.EXCLUSIVE)) {
          return Optional.of(new Conflict(l.mode(), 0));
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The lease token changes of {@code path} carry: this mount's lease on it, 0 if none.
   *
   * @throws OutpostException FENCED if a process of this mount holds a lock on the file under a lease that was
   *     lost
   */
  long tokenFor(String path) {
    synchronized (this) {
      FileLocks f = files.get(path);
      if (f == null || f.lease == null) {
        return 0;
      }
      Optional<OutpostException> lost = f.lease.lost();
      if (lost.isEmpty()) {
        return f.lease.token();
      }
      if (f.holders.isEmpty()) {
        f.lease = null;
        dropIfUnused(f);
        return 0;
      }
      throw new OutpostException(ErrorCode.FENCED, path + ": the lock on it was lost (" + lost.get().getMessage()
          + "); unlock and lock again");
    }
  }

  /** Leases kept, held or idle (for tests). */
  synchronized int leasesKept() {
    int n = 0;
    for (FileLocks f : files.values()) {
      if (f.lease != null) {
        n++;
      }
    }
    return n;
  }

  /** Gives every lease back, waiting for the releases at most a second past {@code deadlineNanos}. */
  void close(long deadlineNanos) {
    List<Lease> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (FileLocks f : files.values()) {
        if (f.lease != null) {
          all.add(f.lease);
        }
      }
      files.clear();
      notifyAll();
    }
    // Released in parallel, so an origin that does not answer costs the stop one wait, not one per lease; what is
    // not released in time lapses at the origin within its ttl.
    List<Thread> releases = new ArrayList<>();
    for (Lease l : all) {
      releases.add(Thread.ofVirtual().name("outpost-lock-release").start(() -> quietly(l)));
    }
    long until = Math.max(deadlineNanos, System.nanoTime()) + TimeUnit.SECONDS.toNanos(1);
    try {
      for (Thread t : releases) {
        long left = until - System.nanoTime();
        if (left <= 0 || !t.join(Duration.ofNanos(left))) {
          log.info("{} leases of this mount's locks not released in time: they lapse within {}", all.size(), ttl);
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- lease events (the client's lease-event thread) ----

  private void watch(String path, Lease lease) {
    lease.onRecall(() -> recalled(path, lease));
    lease.onLost(e -> {
      synchronized (this) {
        FileLocks f = files.get(path);
        if (f != null && f.lease == lease) {
          if (f.holders.isEmpty()) {
            f.lease = null;
            dropIfUnused(f);
          } else {
            log.warn("lock on {} lost while held: later changes of the file fail (EIO) until it is unlocked: {}",
                path, e.getMessage());
          }
        }
      }
    });
    lease.onUnverifiable(since -> log.warn("lock on {} unverifiable since {}: the origin cannot be reached to "
        + "renew its lease ({} left before it is lost)", path, since, ttl));
  }

  /** Another party asked for the file: give it back now if nobody here holds a lock, else at the last unlock. */
  private void recalled(String path, Lease lease) {
    FileLocks f;
    synchronized (this) {
      f = files.get(path);
      if (f == null || f.lease != lease) {
        return;
      }
      if (!f.holders.isEmpty() || f.busy) {
        f.recalled = true;
        log.debug("lock on {} recalled; released at the last unlock", path);
        return;
      }
      f.busy = true;
    }
    handOver(f, lease);
  }

  /**
   * Commits what is pending for the file (under its token), then releases its lease, so the other party may
   * acquire at once. The caller marked the file busy: lockers wait meanwhile.
   */
  private void handOver(FileLocks f, Lease lease) {
    try {
      commitPending.accept(f.path);
    } catch (RuntimeException e) {
      log.warn("{}: pending changes not committed before its lock was given back: {}", f.path, e.toString());
    }
    quietly(lease);
    synchronized (this) {
      if (f.lease == lease) {
        f.lease = null;
      }
      f.busy = false;
      dropIfUnused(f);
      notifyAll();
    }
  }

  // ---- helpers, under the monitor ----

  private static Optional<Conflict> localConflict(FileLocks f, Owner owner, LeaseMode mode) {
    for (Map.Entry<Owner, Hold> h : f.holders.entrySet()) {
      if (!h.getKey().equals(owner) && (mode == LeaseMode.EXCLUSIVE || h.getValue().mode() == LeaseMode.EXCLUSIVE)) {
        return Optional.of(new Conflict(h.getValue().mode(), h.getValue().pid()));
      }
    }
    return Optional.empty();
  }

  private static boolean onlyHolder(FileLocks f, Owner owner) {
    return f.holders.size() == 1 && f.holders.containsKey(owner);
  }

  private synchronized boolean ownToken(String path, long token) {
    FileLocks f = files.get(path);
    return f != null && f.lease != null && f.lease.token() == token;
  }

  private void dropIfUnused(FileLocks f) {
    if (f.holders.isEmpty() && f.lease == null && !f.busy && files.get(f.path) == f) {
      files.remove(f.path);
    }
  }

  /** Releases the least recently used idle leases beyond the bound (off the caller's path: on a new thread). */
  private void trimIdle() {
    int idle = 0;
    for (FileLocks f : files.values()) {
      if (f.holders.isEmpty() && f.lease != null) {
        idle++;
      }
    }
    Map<FileLocks, Lease> drop = new LinkedHashMap<>();
    for (Iterator<FileLocks> it = files.values().iterator(); it.hasNext() && idle > MAX_IDLE_LEASES; ) {
      FileLocks f = it.next();
      if (f.holders.isEmpty() && f.lease != null && !f.busy) {
        f.busy = true;
        drop.put(f, f.lease);
        idle--;
      }
    }
    if (!drop.isEmpty()) {
      Thread.ofVirtual().name("outpost-lock-trim").start(() -> drop.forEach(this::handOver));
    }
  }

  private static void quietly(Lease l) {
    try {
      l.close();
    } catch (OutpostException e) {
      log.debug("releasing {} failed: {}", l, e.toString());
    }
  }

  /** Why a lock was not granted; the file system turns it into an errno. */
  enum Refusal {
    NONE,
    /** Another holder has a conflicting lock and the caller would not wait: EAGAIN. */
    HELD,
    /** The wait ran out: ENOLCK. */
    TIMED_OUT,
    /** A signal ended the wait: EINTR. */
    INTERRUPTED,
    /** The branch proxy is cut off from the origin, no lease can be granted: ENOLCK. */
    OFFLINE,
    /** Another process of this mount holds the file under a lost lease: EIO. */
    LOST,
    /** The mount is closing: EIO. */
    CLOSED
  }
}
