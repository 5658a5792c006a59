package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.Welcome;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection that comes back. It holds one {@link RpcClient} at a time — a generation — and once that
 * closes, connects again in the background with the same options (address, token, TLS, heartbeat), attempts
 * spaced by a jittered exponential {@link Backoff}, until it is closed. A server that comes back serving another
 * volume is refused like an unreachable one. A link made with {@link #start} needs no first connection: it is
 * down until the server can be reached (a proxy starting while its WAN is down), and keeps trying.
 *
 * <p>Callers take the live connection from {@link #generation()}, which waits a bounded time while the link is
 * down and then fails UNAVAILABLE; a waiting caller also brings a far-off attempt forward, so a call never waits
 * in vain behind a long backoff. What to do about requests a lost connection left unanswered is the caller's
 * decision (they fail with {@link ConnectionLostException}): only the caller knows whether one is safe to send
 * again. Listeners registered with {@link #onUp} learn of every new generation, e.g. to subscribe again; a
 * {@link Listener} also learns of losses, failed attempts and overdue heartbeats (to tell how healthy the link
 * is).
 *
 * <p>Thread-safe. Futures and listeners run on the link's event loop (or the thread that caused the event): do
 * not block in them.
 */
public final class RpcLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RpcLink.class);

  /** One established connection; the number grows with every reconnect (the first is 1). */
  public record Generation(long number, RpcClient rpc) {
    public Welcome welcome() {
      return rpc.welcome();
    }
  }

  /**
   * Learns what happens to the link. Called on the link's event loop (or the thread that caused the event), in
   * order for one generation: do not block.
   */
  public interface Listener {
    /** {@code g} is up; called before any caller waiting in {@link #generation()} gets it. */
    default void up(Generation g) {}

    /** {@code g}'s connection closed, for {@code reason} ({@link RpcClient#closeReason()}); reconnecting. */
    default void lost(Generation g, String reason) {}

    /**
     * A connection attempt failed: the server is unreachable, refused the handshake, or serves another volume;
     * called before callers waiting in {@link #generation()} learn of a refusal.
     */
    default void attemptFailed(OutpostException error) {}

    /** A heartbeat reply of {@code g} became overdue ({@code true}) or the server was heard again ({@code false}). */
    default void overdue(Generation g, boolean overdue) {}
  }

  /** One {@link #cancelCalls}: its number and the failure it gave. */
  private record Cancel(long number, OutpostException cause) {}

  private final EventLoopGroup group;
  private final InetSocketAddress remote;
  private final RpcClient.Options options;
  private final Backoff backoff;
  private final long waitMillis;
  private final String volume;
  private final List<Consumer<Generation>> upListeners = new CopyOnWriteArrayList<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  /** The latest {@link #cancelCalls} (number 0: none yet). */
  private volatile Cancel lastCancel = new Cancel(0, null);
  private volatile Generation current;
  private volatile Welcome lastWelcome;
  private volatile boolean closed;
  // Guarded by lock.
  private CompletableFuture<Generation> next = new CompletableFuture<>();
  private long generations;
  private int failures;
  private boolean connecting;
  private ScheduledFuture<?> scheduled;
  private long scheduledAtNanos;
  private long downSinceNanos;
  private OutpostException lastError;

  private RpcLink(EventLoopGroup group, InetSocketAddress remote, RpcClient.Options options, Backoff backoff,
      Duration wait, String volume) {
    this.group = group;
    this.remote = remote;
    this.options = options;
    this.backoff = backoff;
    this.waitMillis = wait.toMillis();
    this.volume = volume;
    this.downSinceNanos = System.nanoTime();
  }

  /**
   * Connects now, blocking as {@link RpcClient#connect} does. The first connection is not retried: a wrong
   * address, token or TLS setting should fail at once rather than be tried for ever.
   *
   * @param wait how long {@link #generation()} waits for a reconnection before failing UNAVAILABLE
   * @throws OutpostException as {@link RpcClient#connect}
   */
  public static RpcLink connect(EventLoopGroup group, InetSocketAddress remote, RpcClient.Options options,
      Backoff backoff, Duration wait) {
    RpcClient first = RpcClient.connect(group, remote, options);
    RpcLink link = new RpcLink(group, remote, options, backoff, wait, first.welcome().volume());
    link.up(first);
    return link;
  }

  /**
   * A link that connects in the background, now and after every loss, trying for ever (spaced by {@code
   * backoff}) until it is closed; nothing is refused for good, since the server may be fixed or come back.
   * Returns at once. Until the first connection {@link #generation()} waits as after a loss.
   *
   * @param volume the volume the server must serve; a server serving another is refused like an unreachable one
   * @param wait how long {@link #generation()} waits for a connection before failing UNAVAILABLE
   * @param listener registered before the first attempt, so it misses no event
   */
  public static RpcLink start(EventLoopGroup group, InetSocketAddress remote, RpcClient.Options options,
      Backoff backoff, Duration wait, String volume, Listener listener) {
    RpcLink link = new RpcLink(group, remote, options, backoff, wait, volume);
    link.listeners.add(listener);
    synchronized (link.lock) {
      link.scheduleLocked(0);
    }
    return link;
  }

  /**
   * The live connection; while there is none, the next one, waiting up to the configured time.
   *
   * @return a future failing UNAVAILABLE if no connection came within the wait or the link is closed, or with
   *     the server's error if it refused the reconnection (UNAUTHORIZED for an expired token, say)
   */
  public CompletableFuture<Generation> generation() {
    Generation g = current;
    if (g != null && g.rpc().isOpen()) {
      return CompletableFuture.completedFuture(g);
    }
    if (g != null) {
      lost(g); // closed, and its close listener has not run yet
    }
    CompletableFuture<Generation> f;
    synchronized (lock) {
      if (closed) {
        return CompletableFuture.failedFuture(closedError());
      }
      Generation now = current;
      if (now != null) {
        return CompletableFuture.completedFuture(now);
      }
      f = next;
      hurryLocked();
    }
    return f.copy().orTimeout(waitMillis, TimeUnit.MILLISECONDS).exceptionallyCompose(e ->
        CompletableFuture.failedFuture(e instanceof TimeoutException || e.getCause() instanceof TimeoutException
            ? unreachable() : Errors.unwrap(e)));
  }

  /** The live generation, if the link is up now. */
  public Optional<Generation> current() {
    Generation g = current;
    return g != null && g.rpc().isOpen() ? Optional.of(g) : Optional.empty();
  }

  /** The WELCOME of the latest connection (the current one, or the last before it was lost). */
  public Welcome welcome() {
    return lastWelcome;
  }

  /** The error of the last failed connection attempt since the link was last up, if any. */
  public Optional<OutpostException> lastError() {
    synchronized (lock) {
      return Optional.ofNullable(lastError);
    }
  }

  /** The volume the server must serve. */
  public String volume() {
    return volume;
  }

  /** Connections made after the first one. */
  public long reconnects() {
    synchronized (lock) {
      return Math.max(0, generations - 1);
    }
  }

  public InetSocketAddress remoteAddress() {
    return remote;
  }

  public boolean isClosed() {
    return closed;
  }

  /**
   * Calls {@code listener} with every new generation once it is up, starting with the current one if the link
   * is up now. Do not block in it.
   */
  public void onUp(Consumer<Generation> listener) {
    upListeners.add(listener);
    current().ifPresent(listener);
  }

  public void removeOnUp(Consumer<Generation> listener) {
    upListeners.remove(listener);
  }

  /**
   * Adds a listener of every event of the link; if the link is up now, it first learns of that generation (a
   * generation coming up meanwhile may be told twice).
   */
  public void addListener(Listener listener) {
    listeners.add(listener);
    current().ifPresent(listener::up);
  }

  /**
   * Fails, with UNAVAILABLE {@code why}, every request waiting for an answer on the live connection (streams and
   * subscriptions included, see {@link RpcClient#failPending}) and every caller waiting for a connection. Nothing
   * else changes: the connection stays, reconnection goes on, later calls are sent as usual. For a caller that
   * cannot wait any longer, such as a mount being stopped while the server does not answer. Warning: the server
   * may still carry out a request that was sent.
   */
  public void cancelCalls(String why) {
    OutpostException cause = new OutpostException(ErrorCode.UNAVAILABLE, why);
    CompletableFuture<Generation> waiting = null;
    Generation g;
    synchronized (lock) {
      lastCancel = new Cancel(lastCancel.number() + 1, cause);
      g = current;
      if (!next.isDone()) {
        waiting = next;
        next = new CompletableFuture<>();
      }
    }
    if (waiting != null) {
      waiting.completeExceptionally(cause);
    }
    if (g != null) {
      g.rpc().failPending(cause);
    }
  }

  /**
   * How many times {@link #cancelCalls} was called. Work made of many calls (an upload) notes it when it starts
   * and asks {@link #cancelledSince} between calls, so a cancel also ends the parts that wait for nothing.
   */
  public long cancellations() {
    return lastCancel.number();
  }

  /** The failure {@link #cancelCalls} gave, if it was called since {@link #cancellations()} was {@code count}. */
  public Optional<OutpostException> cancelledSince(long count) {
    Cancel c = lastCancel;
    return c.number() > count ? Optional.of(c.cause()) : Optional.empty();
  }

  /** Stops reconnecting, fails those waiting for a connection and closes the current one. */
  @Override
  public void close() {
    Generation g;
    CompletableFuture<Generation> waiting;
    ScheduledFuture<?> attempt;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      g = current;
      current = null;
      waiting = next;
      attempt = scheduled;
      scheduled = null;
    }
    if (attempt != null) {
      attempt.cancel(false);
    }
    waiting.completeExceptionally(closedError());
    if (g != null) {
      g.rpc().close();
    }
  }

  private void up(RpcClient rpc) {
    Generation g;
    CompletableFuture<Generation> ready;
    synchronized (lock) {
      connecting = false;
      if (closed) {
        rpc.close();
        return;
      }
      g = new Generation(++generations, rpc);
      current = g;
      lastWelcome = rpc.welcome();
      failures = 0;
      lastError = null;
      ready = next;
    }
    if (g.number() > 1) {
      log.info("reconnected to {} (volume {}, journal seq {}, connection {})", hostPort(), g.welcome().volume(),
          g.welcome().journalSeq(), g.number());
    }
    rpc.onOverdue(late -> each(l -> l.overdue(g, late)));
    // Listeners first: whoever routes pushes or tracks health knows of g before any caller uses it.
    each(l -> l.up(g));
    for (Consumer<Generation> l : upListeners) {
      try {
        l.accept(g);
      } catch (RuntimeException e) {
        log.warn("listener of the connection to {} failed", hostPort(), e);
      }
    }
    // Runs at once if the connection closed meanwhile.
    rpc.closed().thenRun(() -> lost(g));
    ready.complete(g);
  }

  private void each(Consumer<Listener> event) {
    for (Listener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        log.warn("listener of the connection to {} failed", hostPort(), e);
      }
    }
  }

  private void lost(Generation g) {
    String reason = g.rpc().closeReason().orElse("closed");
    synchronized (lock) {
      if (current != g) {
        return;
      }
      current = null;
      next = new CompletableFuture<>();
      downSinceNanos = System.nanoTime();
      if (closed) {
        return;
      }
      scheduleLocked();
    }
    log.warn("connection to {} lost ({}); reconnecting", hostPort(), reason);
    each(l -> l.lost(g, reason));
  }

  private void attempt() {
    synchronized (lock) {
      scheduled = null;
      if (closed || connecting || current != null) {
        return;
      }
      connecting = true;
    }
    RpcClient.connectAsync(group, remote, options).whenComplete((rpc, err) -> {
      if (err == null && !volume.equals(rpc.welcome().volume())) {
        rpc.close();
        err = new OutpostException(ErrorCode.INVALID_ARGUMENT,
            hostPort() + " serves volume " + rpc.welcome().volume() + ", not " + volume);
      }
      if (err != null) {
        failed(Errors.unwrap(err));
      } else {
        up(rpc);
      }
    });
  }

  private void failed(OutpostException e) {
    CompletableFuture<Generation> refused = null;
    int n;
    synchronized (lock) {
      connecting = false;
      lastError = e;
      if (closed) {
        return;
      }
      n = ++failures;
      if (e.code() != ErrorCode.UNAVAILABLE) {
        // The server answered, and said no: those waiting learn why now rather than at their timeout.
        refused = next;
        next = new CompletableFuture<>();
      }
      scheduleLocked();
    }
    if (n == 1 || n % 10 == 0) {
      log.warn("cannot {} {} (attempt {}): {}", generationsSoFar() == 0 ? "connect to" : "reconnect to", hostPort(), n,
          e.getMessage());
    }
    // Listeners first, as for up: whoever keeps the link's health has the refusal before a waiter hears of it.
    each(l -> l.attemptFailed(e));
    if (refused != null) {
      refused.completeExceptionally(e);
    }
  }

  private long generationsSoFar() {
    synchronized (lock) {
      return generations;
    }
  }

  private void scheduleLocked() {
    long delay = backoff.delayMillis(failures);
    scheduleLocked(delay);
  }

  private void scheduleLocked(long delayMillis) {
    scheduledAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis);
    try {
      scheduled = group.next().schedule(this::attempt, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      scheduled = null; // the event loops are shutting down: so is whoever owns this link
    }
  }

  /** A caller is waiting: an attempt due later than half its wait happens now instead. */
  private void hurryLocked() {
    if (connecting || scheduled == null) {
      return;
    }
    long dueInNanos = scheduledAtNanos - System.nanoTime();
    if (dueInNanos > TimeUnit.MILLISECONDS.toNanos(waitMillis) / 2 && scheduled.cancel(false)) {
      scheduleLocked(0);
    }
  }

  private OutpostException unreachable() {
    OutpostException last;
    long downMillis;
    synchronized (lock) {
      last = lastError;
      downMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSinceNanos);
    }
    return new OutpostException(ErrorCode.UNAVAILABLE, hostPort() + " is unreachable (reconnecting for "
        + downMillis + " ms" + (last != null ? "; last attempt: " + last.getMessage() : "") + ")");
  }

  private OutpostException closedError() {
    return new OutpostException(ErrorCode.UNAVAILABLE, "the connection to " + hostPort() + " is closed");
  }

  private String hostPort() {
    return remote.getHostString() + ":" + remote.getPort();
  }
}
