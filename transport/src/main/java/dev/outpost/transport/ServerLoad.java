package dev.outpost.transport;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The totals of one server's connections, bounded by its {@link ServerLimits}: connections open and requests in
 * flight. Shared by the connections' event loops, so thread-safe. A connection that stops reading because the
 * server is full parks its {@link ReadGate} here and is woken when the total falls below the bound; connections
 * that are not reading need no pausing, so nothing walks every connection.
 */
final class ServerLoad {
  private static final Logger log = LoggerFactory.getLogger(ServerLoad.class);

  private final ServerLimits limits;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Queue<ReadGate> parked = new ConcurrentLinkedQueue<>();
  private volatile boolean refusing;

  ServerLoad(ServerLimits limits) {
    this.limits = limits;
  }

  ServerLimits limits() {
    return limits;
  }

  /** Takes a connection place; false (and nothing taken) if all {@code maxConnections} are in use. */
  boolean admit() {
    while (true) {
      int n = connections.get();
      if (n >= limits.maxConnections()) {
        if (!refusing) {
          refusing = true; // once per episode: a flood of connections must not become a flood of log lines
          log.warn("{} connections open (limits.maxConnections): closing new connections until one ends",
              limits.maxConnections());
        }
        return false;
      }
      if (connections.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Gives back the place of a connection that {@link #admit} let in. */
  void left() {
    connections.decrementAndGet();
    refusing = false;
  }

  int connections() {
    return connections.get();
  }

  int inFlight() {
    return inFlight.get();
  }

  /** Counts one more request in flight even if that goes over the bound (a connection's HELLO). */
  void acceptAnyway() {
    inFlight.incrementAndGet();
  }

  /** Counts one more request in flight; false (and nothing counted) if the server is full. */
  boolean tryAccept() {
    while (true) {
      int n = inFlight.get();
      if (n >= limits.maxInFlight()) {
        return false;
      }
      if (inFlight.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** {@code n} requests stopped being in flight; wakes the parked connections if that made room. */
  void answered(int n) {
    int now = inFlight.addAndGet(-n);
    if (now + n >= limits.maxInFlight() && now < limits.maxInFlight()) {
      wakeParked();
    }
  }

  boolean full() {
    return inFlight.get() >= limits.maxInFlight();
  }

  /** Parks {@code gate} until the server has room; re-checks after parking so a wake-up just missed is not lost. */
  void park(ReadGate gate) {
    parked.add(gate);
    if (!full()) {
      wakeParked();
    }
  }

  private void wakeParked() {
    ReadGate g;
    while ((g = parked.poll()) != null) {
      g.serverHasRoom();
    }
  }
}
