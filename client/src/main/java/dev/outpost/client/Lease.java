package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.protocol.LeaseRelease;
import dev.outpost.protocol.LeaseRenew;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease from {@link OutpostClient#lease}: while it is live at the server, an exclusive lease keeps other
 * writers off its path (their commits fail LEASE_CONFLICT), and a write that names it
 * ({@link WriteOptions#withLease}) is accepted only while it is the current lease — once it expired and
 * someone else acquired the path, such a write fails FENCED instead of being merged.
 *
 * <p>The token is the lease: it is not bound to the connection, and it is never acquired again behind the
 * caller's back. After a reconnection the token goes on working while the server still holds it live (renew,
 * release, writes); if it expired meanwhile, or the origin restarted and forgot it, they fail FENCED and the
 * caller must {@link OutpostClient#lease acquire} anew — and look at what others wrote in between.
 *
 * <p>{@link #close()} releases it. Thread-safe.
 */
public final class Lease implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Lease.class);

  private final Function<Request, Reply> call;
  private final Executor recallDelivery;
  private final Runnable onClosed;
  private final String path;
  private final LeaseMode mode;
  private final boolean subtree;
  private final long token;
  private final List<Runnable> recallListeners = new ArrayList<>();
  private volatile long expiresAtMillis;
  private volatile boolean recalled;
  private volatile boolean released;

  Lease(LeaseGrant grant, boolean subtree, Function<Request, Reply> call,
      Executor recallDelivery, Runnable onClosed) {
    this.path = grant.path();
    this.mode = grant.mode();
    this.subtree = subtree;
    this.token = grant.token();
    this.expiresAtMillis = grant.expiresAtMillis();
    this.call = call;
    this.recallDelivery = recallDelivery;
    this.onClosed = onClosed;
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

  /**
   * When the lease lapses unless renewed, on the server's clock ({@code OutpostClient.welcome()
   * .serverTimeMillis()} tells how far it is from the local one).
   */
  public long expiresAtMillis() {
    return expiresAtMillis;
  }

  /** Whether the server asked for it back (another party wants the path). */
  public boolean recalled() {
    return recalled;
  }

  /**
   * Runs {@code listener} when the server recalls the lease (another party asked for the path): write what is
   * pending and {@link #close()} it, or lose it at expiry. Runs on the client's recall thread, at once if the
   * lease was already recalled. The server recalls a grant once.
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

  /**
   * Extends the lease to {@code ttl} from now (the server may shorten it; it never shortens the lease).
   *
   * @throws OutpostException FENCED if the lease is no longer live at the server (expired, released, taken over)
   */
  public Lease renew(Duration ttl) {
    Reply r = call.apply(new LeaseRenew(path, token, OutpostClient.ttlMillis(ttl)));
    if (!(r instanceof LeaseGrant g)) {
      throw OutpostClient.unexpected(r, "LEASE_GRANT");
    }
    expiresAtMillis = g.expiresAtMillis();
    return this;
  }

  /**
   * Gives the lease back, so another party can acquire the path at once. A lease the server no longer holds
   * (it expired) needs no release: that is not an error. Idempotent.
   */
  @Override
  public void close() {
    if (released) {
      return;
    }
    released = true;
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

  private void deliver(Runnable listener) {
    try {
      recallDelivery.execute(() -> {
        try {
          listener.run();
        } catch (RuntimeException e) {
          log.warn("recall listener of the lease on {} failed", path, e);
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
