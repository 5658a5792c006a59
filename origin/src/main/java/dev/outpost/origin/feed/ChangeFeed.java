package dev.outpost.origin.feed;

import dev.outpost.core.VolumePath;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.origin.volume.Volume;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.Resync;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.SubscribeAck;
import dev.outpost.transport.ServerCall;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Change subscriptions: replays the journal from a subscriber's sequence, then pushes live events, all as
 * MORE frames of the SUBSCRIBE call.
 *
 * <p>The journal is the source of truth. Each subscriber has a bounded queue of live events; a subscriber that
 * is slow (its connection not writable) and lets the queue overflow loses the queue, not events: it catches
 * up from the journal once writable again, and if retention trimmed past its position it gets RESYNC. Writers
 * never wait for subscribers and memory stays bounded by {@code queueLimit} events per subscriber plus one
 * batch in flight.
 *
 * <p>Delivery is in sequence order without gaps or repeats: a subscriber is registered before its first
 * journal read, so every event is either in a journal read or published to the queue afterwards; anything at
 * or below the delivered position is skipped.
 *
 * <p>Thread-safe. {@link #publish} must be called in sequence order (the origin's single writer thread does);
 * pumping runs on {@code executor}, never on an event loop.
 */
public final class ChangeFeed {
  private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);

  private final Volume volume;
  private final Executor executor;
  private final OriginMetrics metrics;
  private final int queueLimit;
  private final int batchSize;
  private final Map<Key, Subscriber> subscribers = new ConcurrentHashMap<>();
  private volatile long publishedSeq;

  private record Key(long connectionId, int requestId) {}

  /**
   * @param executor where journal reads and sending happen (the origin's reader pool)
   * @param queueLimit live events a subscriber may have queued before it falls back to the journal
   * @param batchSize events read from the journal and sent per step
   */
  public ChangeFeed(Volume volume, Executor executor, OriginMetrics metrics, int queueLimit, int batchSize) {
    this.volume = volume;
    this.executor = executor;
    this.metrics = metrics;
    this.queueLimit = queueLimit;
    this.batchSize = batchSize;
    this.publishedSeq = volume.currentSeq();
    metrics.gauge(OriginMetrics.SUBSCRIBERS, subscribers::size);
    metrics.gauge(OriginMetrics.SUBSCRIBER_MAX_LAG, this::maxLag);
  }

  /** Starts a subscription answering {@code call}; runs the first steps on the caller's thread (not an event loop). */
  public void subscribe(ServerCall call, Subscribe request) {
    Subscriber sub = new Subscriber(call, request.prefix(), request.fromSeq());
    Key key = new Key(call.session().connectionId(), call.requestId());
    Subscriber previous = subscribers.putIfAbsent(key, sub);
    if (previous != null) {
      throw new dev.outpost.core.OutpostException(dev.outpost.core.ErrorCode.INVALID_ARGUMENT,
          "request id " + call.requestId() + " already has a subscription on this connection");
    }
    long current = volume.currentSeq();
    long oldest = volume.oldestRetainedSeq();
    synchronized (sub) {
      if (request.fromSeq() < oldest - 1 || request.fromSeq() > current) {
        // Too old for the journal, or from a history this volume does not have: start over from now.
        sub.delivered = current;
        metrics.resync();
        call.more(new Resync(current));
      } else {
        call.more(new SubscribeAck(current));
      }
      sub.started = true;
    }
    schedule(sub);
  }

  /**
   * Ends the subscription started by request {@code subscribeRequestId} on this connection: its stream ends
   * with a final OK frame, and nothing of it follows. Unknown ids are ignored (it may have ended already).
   */
  public void unsubscribe(long connectionId, int subscribeRequestId) {
    Subscriber sub = subscribers.remove(new Key(connectionId, subscribeRequestId));
    if (sub != null) {
      synchronized (sub) {
        sub.closed = true;
        sub.queue.clear();
        sub.call.reply(new Ok());
      }
    }
  }

  /** Drops every subscription of a closed connection. */
  public void connectionClosed(long connectionId) {
    subscribers.entrySet().removeIf(e -> {
      if (e.getKey().connectionId() == connectionId) {
        synchronized (e.getValue()) {
          e.getValue().closed = true;
          e.getValue().queue.clear();
        }
        return true;
      }
      return false;
    });
  }

  /** Hands a committed mutation's events to every subscriber; never blocks. Call in sequence order. */
  public void publish(List<ChangeEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    publishedSeq = events.getLast().seq();
    for (Subscriber sub : subscribers.values()) {
      boolean wake;
      synchronized (sub) {
        if (sub.closed) {
          continue;
        }
        for (ChangeEvent e : events) {
          sub.offer(e);
        }
        wake = sub.started && !sub.scheduled;
      }
      if (wake) {
        schedule(sub);
      }
    }
  }

  /** Subscriptions open now. */
  public int size() {
    return subscribers.size();
  }

  /** How far the slowest subscriber is behind the last published event, in sequence numbers. */
  public long maxLag() {
    long max = 0;
    long published = publishedSeq;
    for (Subscriber sub : subscribers.values()) {
      max = Math.max(max, published - sub.delivered);
    }
    return max;
  }

  private void schedule(Subscriber sub) {
    synchronized (sub) {
      if (sub.scheduled || sub.closed) {
        return;
      }
      sub.scheduled = true;
    }
    try {
      executor.execute(() -> pump(sub));
    } catch (RejectedExecutionException e) {
      // The reader pool is saturated: the subscriber catches up from the journal on the next publish.
      synchronized (sub) {
        sub.scheduled = false;
        sub.overflow();
      }
    }
  }

  /** Sends what the subscriber is owed until it is caught up, its connection pushes back, or it closes. */
  private void pump(Subscriber sub) {
    try {
      while (true) {
        if (!sub.call.isOpen()) {
          subscribers.values().remove(sub);
          synchronized (sub) {
            sub.closed = true;
            sub.scheduled = false;
          }
          return;
        }
        if (!sub.call.isWritable()) {
          // Stay "scheduled" so publishes do not start a second pump; resume when the peer has read.
          metrics.streamPaused();
          sub.call.whenWritable(() -> resume(sub));
          return;
        }
        boolean fromJournal;
        long position;
        synchronized (sub) {
          if (sub.closed) {
            sub.scheduled = false;
            return;
          }
          if (sub.overflowed) {
            sub.overflowed = false;
            sub.catchingUp = true;
            sub.queue.clear();
          }
          fromJournal = sub.catchingUp;
          position = sub.delivered;
          if (!fromJournal && !sendQueued(sub)) {
            sub.scheduled = false;
            return;
          }
        }
        if (fromJournal) {
          catchUp(sub, position);
        }
      }
    } catch (RuntimeException e) {
      log.warn("subscription {} failed", sub.call.requestId(), e);
      subscribers.values().remove(sub);
      synchronized (sub) {
        sub.closed = true;
        sub.scheduled = false;
      }
      sub.call.fail(e);
    }
  }

  private void resume(Subscriber sub) {
    try {
      executor.execute(() -> pump(sub));
    } catch (RejectedExecutionException e) {
      synchronized (sub) {
        sub.scheduled = false;
        sub.overflow();
      }
    }
  }

  /** One journal step: a batch after {@code position}, or RESYNC if the journal no longer reaches back. */
  private void catchUp(Subscriber sub, long position) {
    long current = volume.currentSeq();
    if (position < volume.oldestRetainedSeq() - 1) {
      synchronized (sub) {
        if (!sub.closed) {
          sub.delivered = Math.max(sub.delivered, current);
          metrics.resync();
          sub.call.more(new Resync(current));
        }
      }
      return;
    }
    List<ChangeEvent> batch = volume.journalAfter(position, sub.prefix, batchSize);
    synchronized (sub) {
      if (sub.closed) {
        return;
      }
      for (ChangeEvent e : batch) {
        if (e.seq() > sub.delivered) {
          sub.call.more(e);
          sub.delivered = e.seq();
        }
      }
      if (batch.size() < batchSize) {
        // Caught up with the journal as of the read: everything after it is in the queue (or overflowed).
        sub.delivered = Math.max(sub.delivered, current);
        if (!sub.overflowed) {
          sub.catchingUp = false;
        }
      }
    }
  }

  /** Sends up to one batch of queued events; false when there was nothing to send. Holds the lock. */
  private boolean sendQueued(Subscriber sub) {
    int sent = 0;
    while (sent < batchSize && !sub.queue.isEmpty()) {
      ChangeEvent e = sub.queue.poll();
      if (e.seq() > sub.delivered) {
        sub.call.more(e);
        sub.delivered = e.seq();
        sent++;
      }
    }
    return sent > 0 || !sub.queue.isEmpty();
  }

  private final class Subscriber {
    final ServerCall call;
    final String prefix;
    final ArrayDeque<ChangeEvent> queue = new ArrayDeque<>();
    /** Every event at or below this sequence has been sent (or does not concern this subscriber). */
    volatile long delivered;
    boolean started;
    boolean scheduled;
    boolean catchingUp = true;
    boolean overflowed;
    boolean closed;

    Subscriber(ServerCall call, String prefix, long fromSeq) {
      this.call = call;
      this.prefix = prefix;
      this.delivered = fromSeq;
    }

    /** Called with the lock held. */
    void offer(ChangeEvent e) {
      if (overflowed) {
        return;
      }
      boolean concerns = VolumePath.isUnder(e.path(), prefix)
          || (!e.fromPath().isEmpty() && VolumePath.isUnder(e.fromPath(), prefix));
      if (!concerns) {
        if (started && !catchingUp && queue.isEmpty() && e.seq() > delivered) {
          delivered = e.seq(); // nothing owed up to here: keeps the lag honest for narrow prefixes
        }
        return;
      }
      if (queue.size() >= queueLimit) {
        overflow();
        return;
      }
      queue.add(e);
    }

    /** Called with the lock held: forget the queue, catch up from the journal next time. */
    void overflow() {
      if (!overflowed) {
        overflowed = true;
        queue.clear();
        metrics.subscriberOverflow();
      }
    }
  }
}
