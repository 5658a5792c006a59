package dev.outpost.proxy.upstream;

import dev.outpost.proxy.metrics.ProxyMetrics;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's one verdict on whether the origin is reachable: the {@link LinkState} derived from what the
 * upstream link reports (up, lost, attempts failing, heartbeat replies overdue) and from whether the write-back
 * log is replaying, with the time of every change and the last error.
 *
 * <ul>
 *   <li>up: {@link LinkState#CONNECTED}; {@link LinkState#REPLAYING} while {@link #setReplaying} says the
 *       write-back log is being replayed; {@link LinkState#DEGRADED} while a heartbeat reply is overdue;
 *   <li>down: {@link LinkState#DEGRADED} for {@code graceMillis} after the connection was lost (reconnecting;
 *       requests wait for it), then {@link LinkState#DISCONNECTED};
 *   <li>never up since the start, or closed: {@link LinkState#DISCONNECTED}.
 * </ul>
 *
 * <p>Thread-safe. Listeners learn of each change once, one at a time and in order, on the thread that caused it
 * (the link's event loop, the grace timer, or the caller of {@link #setReplaying}): do not block in them.
 */
public final class LinkHealth {
  private static final Logger log = LoggerFactory.getLogger(LinkHealth.class);

  /** A change of state and when it happened. */
  public record Change(LinkState from, LinkState to, Instant at) {}

  /** What last went wrong with the link, and when: a lost connection, a failed or refused attempt. */
  public record LinkError(String message, Instant at) {}

  /**
   * @param since when the state last changed (the proxy's start if it never did)
   * @param up whether a connection to the origin is established now (CONNECTED, REPLAYING, or DEGRADED with a
   *     heartbeat reply overdue)
   * @param lastError kept after the link recovers, so an operator can see what happened
   */
  public record Status(LinkState state, Instant since, boolean up, Optional<LinkError> lastError) {}

  private final Clock clock;
  private final LongSupplier nanoTime;
  private final long graceMillis;
  private final ScheduledExecutorService timer;
  private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
  // Guarded by this.
  private final ArrayDeque<Change> undelivered = new ArrayDeque<>();
  private boolean delivering;
  private boolean up;
  private boolean everUp;
  private boolean overdue;
  private boolean replaying;
  private boolean closed;
  private long downSinceNanos;
  private LinkState state = LinkState.DISCONNECTED;
  private Instant since;
  private LinkError lastError;
  private ScheduledFuture<?> graceEnd;

  /**
   * @param nanoTime the monotonic clock the grace is measured on ({@code System::nanoTime}; tests step their own)
   * @param graceMillis how long a lost link counts as DEGRADED before it is DISCONNECTED; 0 = at once
   * @param timer runs the check at the end of the grace
   */
  public LinkHealth(Clock clock, LongSupplier nanoTime, long graceMillis, ScheduledExecutorService timer,
      ProxyMetrics metrics) {
    this.clock = clock;
    this.nanoTime = nanoTime;
    this.graceMillis = graceMillis;
    this.timer = timer;
    this.since = clock.instant();
    metrics.labelledGauge(ProxyMetrics.LINK_STATE, "state", this::stateGauges);
    metrics.gauge(ProxyMetrics.LINK_STATE_CHANGED, () -> status().since().getEpochSecond());
  }

  public synchronized LinkState state() {
    return state;
  }

  /** Whether a connection to the origin is established, as the link last reported. */
  public synchronized boolean isUp() {
    return up;
  }

  public synchronized Status status() {
    return new Status(state, since, up, Optional.ofNullable(lastError));
  }

  /** Calls {@code listener} with every later change. */
  public void onChange(Consumer<Change> listener) {
    listeners.add(listener);
  }

  /**
   * The write-back log's hook: {@code true} while it has operations to replay (a connected link is then
   * REPLAYING), {@code false} once it is empty (CONNECTED again).
   */
  public void setReplaying(boolean on) {
    synchronized (this) {
      replaying = on;
      recomputeLocked();
    }
    deliver();
  }

  /** The link is up (a new connection, welcomed). */
  void up() {
    synchronized (this) {
      up = true;
      everUp = true;
      overdue = false;
      recomputeLocked();
    }
    deliver();
  }

  /** The connection was lost for {@code reason}; the link reconnects. */
  void lost(String reason) {
    synchronized (this) {
      if (up) {
        up = false;
        overdue = false;
        downSinceNanos = nanoTime.getAsLong();
      }
      lastError = new LinkError("connection lost: " + reason, clock.instant());
      recomputeLocked();
    }
    deliver();
  }

  /** A connection attempt failed (unreachable, refused, another volume). */
  void attemptFailed(String message) {
    synchronized (this) {
      lastError = new LinkError(message, clock.instant());
    }
  }

  /** A heartbeat reply of the live connection became overdue, or the origin was heard again. */
  void overdue(boolean now) {
    synchronized (this) {
      if (!up || overdue == now) {
        return;
      }
      overdue = now;
      if (now) {
        lastError = new LinkError("no answer to a heartbeat", clock.instant());
      }
      recomputeLocked();
    }
    deliver();
  }

  /** The proxy is shutting down. */
  void closed() {
    synchronized (this) {
      closed = true;
      up = false;
      recomputeLocked();
    }
    deliver();
  }

  /** Applies the rules again (the grace may have run out); the timer calls it, tests may too. */
  void refresh() {
    synchronized (this) {
      recomputeLocked();
    }
    deliver();
  }

  private void recomputeLocked() {
    LinkState next;
    long graceLeftMillis = -1;
    if (closed || !everUp) {
      next = LinkState.DISCONNECTED;
    } else if (up) {
      next = overdue ? LinkState.DEGRADED : replaying ? LinkState.REPLAYING : LinkState.CONNECTED;
    } else {
      long downMillis = TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - downSinceNanos);
      graceLeftMillis = graceMillis - downMillis;
      next = graceLeftMillis > 0 ? LinkState.DEGRADED : LinkState.DISCONNECTED;
    }
    if (graceEnd != null && graceLeftMillis <= 0) {
      graceEnd.cancel(false);
      graceEnd = null;
    }
    if (graceLeftMillis > 0 && graceEnd == null) {
      try {
        graceEnd = timer.schedule(() -> {
          synchronized (this) {
            graceEnd = null;
          }
          refresh();
        }, graceLeftMillis + 1, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // The proxy is shutting down; nobody is left to see the state.
      }
    }
    if (next != state) {
      Change c = new Change(state, next, clock.instant());
      state = next;
      since = c.at();
      undelivered.add(c);
    }
  }

  /** Hands out pending changes in order, one deliverer at a time, outside the lock. */
  private void deliver() {
    while (true) {
      Change c;
      LinkError error;
      boolean shuttingDown;
      synchronized (this) {
        if (delivering || undelivered.isEmpty()) {
          return;
        }
        delivering = true;
        c = undelivered.poll();
        error = lastError;
        shuttingDown = closed;
      }
      try {
        if (shuttingDown) {
          log.info("origin link closed (was {})", c.from());
        } else if (c.to() == LinkState.DEGRADED || c.to() == LinkState.DISCONNECTED) {
          log.warn("origin link {} (was {}){}", c.to(), c.from(), error != null ? ": " + error.message() : "");
        } else {
          log.info("origin link {} (was {})", c.to(), c.from());
        }
        for (Consumer<Change> l : listeners) {
          try {
            l.accept(c);
          } catch (RuntimeException e) {
            log.warn("link state listener failed", e);
          }
        }
      } finally {
        synchronized (this) {
          delivering = false;
        }
      }
    }
  }

  /** One gauge per state: 1 for the current one, 0 for the others. */
  private Map<String, Long> stateGauges() {
    LinkState now = state();
    Map<String, Long> m = new TreeMap<>();
    for (LinkState s : LinkState.values()) {
      m.put(s.label(), s == now ? 1L : 0L);
    }
    return m;
  }
}
