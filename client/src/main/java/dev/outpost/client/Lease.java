package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.protocol.LeaseRelease;
import dev.outpost.protocol.LeaseRenew;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import dev.outpost.transport.Errors;
import io.netty.util.ReferenceCountUtil;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease from {@link OutpostClient#lease}: while it is live at the server, an exclusive lease keeps other
 * writers off its path (their commits fail LEASE_CONFLICT), and a write that names it
 * ({@link WriteOptions#withLease}) is accepted only while it is the current lease — once it expired and
 * someone else acquired the path, such a write fails FENCED instead of being merged.
 *
 * <p><b>Renewal.</b> The client renews it by itself every third of its ttl ({@link #RENEW_FRACTION}), so it lives
 * as long as it is held and the origin can be reached. A renewal that fails for a reason that may pass (the
 * server unreachable, a branch proxy cut off from the origin: OFFLINE) makes the lease <i>unverifiable</i>
 * ({@link #unverifiableSince()}, {@link #onUnverifiable}) and is retried more often; if none succeeds before the
 * ttl runs out on the local clock — measured from when the last successful request was sent, so it never ends
 * later than the server's — or the server answers FENCED (expired, released or taken over), the lease is
 * <i>lost</i> ({@link #lost()}, {@link #onLost}). A lost lease stays lost: it is never acquired again behind the
 * caller's back, and writes under its token fail FENCED once another party took the path.
 * {@link #renewAutomatically(boolean) renewAutomatically(false)} stops the renewals (renew yourself, or let it
 * lapse).
 *
 * <p>The token is the lease: it is not bound to the connection. After a reconnection the token goes on working
 * while the server still holds it live (renewals, release, writes).
 *
 * <p>{@link #close()} releases it. Listeners run on the client's one lease-event thread, never the event loop.
 * Thread-safe.
 */
public final class Lease implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Lease.class);
  /** Renewals are sent every ttl / this. */
  public static final int RENEW_FRACTION = 3;
  /** A failed renewal is tried again after ttl / this (at most one second later). */
  private static final int RETRY_FRACTION = 10;
  private static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Function<Request, Reply> call;
  private final Function<Request, CompletableFuture<Reply>> send;
  private final ScheduledExecutorService timer;
  private final Executor events;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final Runnable onClosed;
  private final String path;
  private final LeaseMode mode;
  private final boolean subtree;
  private final long token;
  private final long ttlMillis;
  private final List<Runnable> recallListeners = new ArrayList<>();
  private final List<Consumer<OutpostException>> lostListeners = new ArrayList<>();
  private final List<Consumer<Instant>> unverifiableListeners = new ArrayList<>();
  private volatile long expiresAtMillis;
  private volatile boolean recalled;
  // Guarded by this.
  private boolean released;
  private boolean autoRenew = true;
  private boolean renewing;
  private long renewSentNanos;
  private long deadlineNanos;
  private long nextRenewNanos;
  private Instant verifiedAt;
  private Instant unverifiableSince;
  private OutpostException lastFailure;
  private OutpostException lost;
  private ScheduledFuture<?> tick;

  /**
   * @param sentNanos when the LEASE_ACQUIRE that got {@code grant} was sent (the local deadline counts from it)
   * @param call sends a request and waits (release, {@link #renew})
   * @param send sends a request without waiting (automatic renewals)
   */
  Lease(LeaseGrant grant, boolean subtree, long ttlMillis, long sentNanos, Function<Request, Reply> call,
      Function<Request, CompletableFuture<Reply>> send, ScheduledExecutorService timer, Executor events, Clock clock,
      LongSupplier nanoTime, Runnable onClosed) {
    this.path = grant.path();
    this.mode = grant.mode();
    this.subtree = subtree;
    this.token = grant.token();
    this.ttlMillis = ttlMillis;
    this.call = call;
    this.send = send;
    this.timer = timer;
    this.events = events;
    this.clock = clock;
    this.nanoTime = nanoTime;
    this.onClosed = onClosed;
    synchronized (this) {
      granted(grant, sentNanos);
      scheduleLocked();
    }
  }

  public String path() {
    return path;
  }

  public LeaseMode mode() {
    return mode;
  }

  /** Whether it also covers everything below {@link #path()}. */
  public boolean subtree() {
    return subtree;
  }

  /** The fencing token (epoch): positive, and larger than any lease granted before on this origin. */
  public long token() {
    return token;
  }

  /** The lifetime asked for at each renewal. */
  public Duration ttl() {
    return Duration.ofMillis(ttlMillis);
  }

  /**
   * When the lease lapses unless renewed, on the server's clock ({@code OutpostClient.welcome()
   * .serverTimeMillis()} tells how far it is from the local one), as the last grant or renewal said.
   */
  public long expiresAtMillis() {
    return expiresAtMillis;
  }

  /** Whether the server asked for it back (another party wants the path). */
  public boolean recalled() {
    return recalled;
  }

  /** Why the lease was lost (FENCED), if it was; a lost lease is never renewed or acquired again. */
  public synchronized Optional<OutpostException> lost() {
    return Optional.ofNullable(lost);
  }

  /**
   * Since when the lease could not be verified — the time the server last confirmed it — while renewals fail
   * for a reason that may pass (unreachable, OFFLINE); empty while renewals succeed, and once it is lost.
   */
  public synchronized Optional<Instant> unverifiableSince() {
    return lost == null ? Optional.ofNullable(unverifiableSince) : Optional.empty();
  }

  /** Whether the lease is neither lost nor released (it may still be unverifiable). */
  public synchronized boolean isHeld() {
    return lost == null && !released;
  }

  /**
   * Runs {@code listener} when the server recalls the lease (another party asked for the path): write what is
   * pending and {@link #close()} it, or lose it at expiry. Runs at once if the lease was already recalled. The
   * server recalls a grant once.
   */
  public void onRecall(Runnable listener) {
    boolean now;
    synchronized (recallListeners) { // with recall(): each listener hears a recall once
      recallListeners.add(listener);
      now = recalled;
    }
    if (now) {
      deliver(listener);
    }
  }

  /** Runs {@code listener} with the cause once the lease is lost; at once if it already is. */
  public void onLost(Consumer<OutpostException> listener) {
    OutpostException now;
    synchronized (this) {
      lostListeners.add(listener);
      now = lost;
    }
    if (now != null) {
      deliver(() -> listener.accept(now));
    }
  }

  /** Runs {@code listener} with the time it was last verified each time the lease becomes unverifiable. */
  public synchronized void onUnverifiable(Consumer<Instant> listener) {
    unverifiableListeners.add(listener);
  }

  /** Turns the automatic renewals off (then renew with {@link #renew}, or let it lapse) or on again. */
  public void renewAutomatically(boolean on) {
    synchronized (this) {
      autoRenew = on;
      scheduleLocked();
    }
  }

  /**
   * Extends the lease to {@code ttl} from now (the server may shorten it; it never shortens the lease).
   *
   * @throws OutpostException FENCED if the lease is lost or no longer live at the server (expired, released,
   *     taken over); then it is lost
   */
  public Lease renew(Duration ttl) {
    synchronized (this) {
      if (lost != null) {
        throw new OutpostException(ErrorCode.FENCED, lost.getMessage(), lost);
      }
    }
    long sent = nanoTime.getAsLong();
    Reply r;
    try {
      r = call.apply(new LeaseRenew(path, token, OutpostClient.ttlMillis(ttl)));
    } catch (OutpostException e) {
      if (e.code() == ErrorCode.FENCED) {
        lose(e);
      }
      throw e;
    }
    if (!(r instanceof LeaseGrant g)) {
      throw OutpostClient.unexpected(r, "LEASE_GRANT");
    }
    synchronized (this) {
      granted(g, sent);
      scheduleLocked();
    }
    return this;
  }

  /**
   * Gives the lease back, so another party can acquire the path at once, and stops renewing it. A lease the
   * server no longer holds (it expired) needs no release: that is not an error. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (released) {
        return;
      }
      released = true;
      cancelTickLocked();
    }
    onClosed.run();
    try {
      ReferenceCountUtil.release(call.apply(new LeaseRelease(path, token)));
    } catch (OutpostException e) {
      if (e.code() != ErrorCode.FENCED) {
        throw e;
      }
      log.debug("lease {} on {} had already lapsed: {}", token, path, e.getMessage());
    }
  }

  /** The server recalled this grant: tell the listeners, off the event loop. */
  void recall() {
    List<Runnable> listeners;
    synchronized (recallListeners) {
      if (recalled) {
        return;
      }
      recalled = true;
      listeners = List.copyOf(recallListeners);
    }
    for (Runnable l : listeners) {
      deliver(l);
    }
  }

  /** The client is closing: no more renewals (the lease lives on at the server until it lapses). */
  synchronized void stop() {
    autoRenew = false;
    cancelTickLocked();
  }

  // ---- renewal ----

  private void granted(LeaseGrant g, long sentNanos) {
    expiresAtMillis = g.expiresAtMillis();
    // The server may have granted less than asked (its maximum ttl): count from the send, never past its clock.
    long grantedMillis = Math.max(0, Math.min(ttlMillis, g.expiresAtMillis() - clock.millis()));
    deadlineNanos = sentNanos + TimeUnit.MILLISECONDS.toNanos(grantedMillis);
    nextRenewNanos = sentNanos + TimeUnit.MILLISECONDS.toNanos(Math.max(1, grantedMillis / RENEW_FRACTION));
    verifiedAt = clock.instant();
    if (unverifiableSince != null) {
      log.info("{} verified again (unverifiable since {})", this, unverifiableSince);
    }
    unverifiableSince = null;
    lastFailure = null;
  }

  private void scheduleLocked() {
    cancelTickLocked();
    if (released || lost != null || !autoRenew) {
      return;
    }
    long now = nanoTime.getAsLong();
    // While a renewal is out: wake when its answer is overdue (then the lease is unverifiable) and at the deadline.
    long wake = renewing
        ? (unverifiableSince == null ? Math.min(renewSentNanos + renewIntervalNanos(), deadlineNanos) : deadlineNanos)
        : Math.min(nextRenewNanos, deadlineNanos);
    try {
      tick = timer.schedule(this::tick, Math.max(0, wake - now), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The client is closed: the lease lapses at the server.
    }
  }

  private void cancelTickLocked() {
    if (tick != null) {
      tick.cancel(false);
      tick = null;
    }
  }

  private void tick() {
    long sent;
    synchronized (this) {
      tick = null;
      if (released || lost != null || !autoRenew) {
        return;
      }
      long now = nanoTime.getAsLong();
      if (now - deadlineNanos >= 0) {
        lostLocked(new OutpostException(ErrorCode.FENCED, this + " lapsed: no renewal reached the origin since "
            + verifiedAt + (lastFailure != null ? " (last: " + lastFailure.getMessage() + ")" : "")));
        return;
      }
      if (renewing) {
        if (now - renewSentNanos >= renewIntervalNanos()) {
          unverifiableLocked("no answer to a renewal for " + TimeUnit.NANOSECONDS.toMillis(now - renewSentNanos) + " ms");
        }
        scheduleLocked();
        return;
      }
      if (now - nextRenewNanos < 0) {
        scheduleLocked();
        return;
      }
      renewing = true;
      renewSentNanos = now;
      sent = now;
      scheduleLocked(); // wakes at the deadline if the renewal hangs
    }
    CompletableFuture<Reply> reply;
    try {
      reply = send.apply(new LeaseRenew(path, token, ttlMillis));
    } catch (RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    reply.whenComplete((r, err) -> renewed(sent, r, err));
  }

  private void renewed(long sentNanos, Reply r, Throwable err) {
    OutpostException failure = null;
    if (err != null) {
      failure = Errors.unwrap(err);
    } else if (!(r instanceof LeaseGrant)) {
      failure = OutpostClient.unexpected(r, "LEASE_GRANT");
    }
    synchronized (this) {
      renewing = false;
      if (released || lost != null) {
        return;
      }
      if (failure == null) {
        granted((LeaseGrant) r, sentNanos);
      } else if (failure.code() == ErrorCode.FENCED) {
        lostLocked(failure);
        return;
      } else {
        lastFailure = failure;
        unverifiableLocked(failure.getMessage());
        long retry = Math.min(MAX_RETRY_NANOS, TimeUnit.MILLISECONDS.toNanos(Math.max(1, ttlMillis / RETRY_FRACTION)));
        nextRenewNanos = nanoTime.getAsLong() + retry;
      }
      scheduleLocked();
    }
  }

  private long renewIntervalNanos() {
    return TimeUnit.MILLISECONDS.toNanos(Math.max(1, ttlMillis / RENEW_FRACTION));
  }

  /** The server cannot confirm the lease now: say so once (until it is verified again). */
  private void unverifiableLocked(String why) {
    if (unverifiableSince != null) {
      return;
    }
    Instant since = verifiedAt;
    unverifiableSince = since;
    log.warn("{} unverifiable since {}: {}", this, since, why);
    for (Consumer<Instant> l : List.copyOf(unverifiableListeners)) {
      deliver(() -> l.accept(since));
    }
  }

  private void lose(OutpostException why) {
    synchronized (this) {
      if (lost != null || released) {
        return;
      }
      lostLocked(why);
    }
  }

  /** Marks the lease lost and tells the listeners (outside the lock, on the event thread). */
  private void lostLocked(OutpostException why) {
    lost = why;
    cancelTickLocked();
    log.warn("{} lost: {}", this, why.getMessage());
    List<Consumer<OutpostException>> listeners = List.copyOf(lostListeners);
    for (Consumer<OutpostException> l : listeners) {
      deliver(() -> l.accept(why));
    }
  }

  private void deliver(Runnable listener) {
    try {
      events.execute(() -> {
        try {
          listener.run();
        } catch (RuntimeException e) {
          log.warn("listener of the lease on {} failed", path, e);
        }
      });
    } catch (RejectedExecutionException e) {
      // The client is closed: nobody to tell.
    }
  }

  @Override
  public String toString() {
    return mode.name().toLowerCase(java.util.Locale.ROOT) + " lease on " + path + (subtree ? "/**" : "") + " (token "
        + token + ")";
  }
}
