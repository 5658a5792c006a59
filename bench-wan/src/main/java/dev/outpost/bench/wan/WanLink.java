package dev.outpost.bench.wan;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An emulated WAN link in user space: a TCP relay on 127.0.0.1 to one target whose two directions each behave as
 * a serial line of the given bandwidth followed by the given one-way delay, and which counts every byte it
 * delivers in each direction. Connections made to {@link #address()} reach the target through the link.
 *
 * <p>Model: bytes read from one side are scheduled on that direction's line, shared by every connection (one
 * bottleneck per direction, like an access link): a segment of n bytes departs when the line is free, occupies it
 * for n × 8 / bandwidth, and is written to the other side one delay later. The relay reads from a side only while
 * the line has less than {@value #QUEUE_NANOS} ns of backlog (a small router queue), and holds at most
 * {@link #capacityBytes()} per direction and connection (so a receiver that stops reading stops the sender, as a
 * TCP window would). Not modelled: loss, reordering, TCP slow start — the link is an ideal pipe.
 *
 * <p>Thread-safe. Four platform threads per relayed connection; {@link #close()} ends them all.
 * (Written instead of netcrusher's TcpCrusher: its reactor acts on a 20 ms tick by default, its throttler sees a
 * buffer only once the buffer is full, and its fixed buffer pool caps the bytes in flight, which at 100 ms makes
 * the emulated link slower than its nominal rate.)
 */
public final class WanLink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WanLink.class);
  static final long QUEUE_NANOS = 5_000_000;
  private static final int SEGMENT_BYTES = 32 << 10;
  private static final AtomicInteger LINKS = new AtomicInteger();

  private final LinkSpec spec;
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Line up;
  private final Line down;
  private final int capacityBytes;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private final String name;
  private volatile boolean closed;

  private WanLink(LinkSpec spec, InetSocketAddress target, ServerSocket server) {
    this.spec = spec;
    this.target = target;
    this.server = server;
    this.up = new Line(spec);
    this.down = new Line(spec);
    double bdpBytes = spec.bytesPerSecond() * (spec.oneWayDelayMillis() / 1000.0 + QUEUE_NANOS / 1e9);
    this.capacityBytes = (int) Math.min(256L << 20, Math.max(4L << 20, 2 * (long) bdpBytes + (1 << 20)));
    this.name = "wan" + LINKS.incrementAndGet();
  }

  /**
   * Listens on 127.0.0.1 (a free port) and relays every accepted connection to {@code target}.
   *
   * @throws IOException if no port can be bound
   */
  public static WanLink open(InetSocketAddress target, LinkSpec spec) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    WanLink link = new WanLink(spec, target, server);
    Thread t = new Thread(link::acceptLoop, link.name + "-accept");
    t.setDaemon(true);
    t.start();
    return link;
  }

  /** Where the branch side connects. */
  public InetSocketAddress address() {
    return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
  }

  public LinkSpec spec() {
    return spec;
  }

  /** Bytes delivered so far in each direction, over every connection this link relayed. */
  public WanBytes bytes() {
    return new WanBytes(up.delivered.get(), down.delivered.get());
  }

  /** Connections accepted so far. */
  public long connectionsAccepted() {
    return accepted.get();
  }

  /** Bytes one direction of one connection may hold (read, not yet written). */
  public int capacityBytes() {
    return capacityBytes;
  }

  /** Stops accepting and cuts every relayed connection (both sides see the connection reset or closed). */
  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    for (Connection c : connections) {
      c.close();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket branch;
      try {
        branch = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("{}: accept failed: {}", name, e.toString());
        }
        return;
      }
      accepted.incrementAndGet();
      Socket hq = new Socket();
      try {
        branch.setTcpNoDelay(true);
        hq.setTcpNoDelay(true);
        hq.connect(target, 10_000);
      } catch (IOException e) {
        LOG.warn("{}: cannot reach {}: {}", name, target, e.toString());
        closeQuietly(branch);
        closeQuietly(hq);
        continue;
      }
      Connection c = new Connection(branch, hq, accepted.get());
      connections.add(c);
      if (closed) {
        c.close();
      } else {
        c.start();
      }
    }
  }

  /** One direction's line: serialization shared by all connections, plus the delivered-bytes counter. */
  private static final class Line {
    private final double nanosPerByte;
    private final long delayNanos;
    private final AtomicLong delivered = new AtomicLong();
    private long busyUntilNanos = Long.MIN_VALUE;

    Line(LinkSpec spec) {
      this.nanosPerByte = spec.nanosPerByte();
      this.delayNanos = spec.oneWayDelayMillis() * 1_000_000L;
    }

    /** Puts n bytes on the line; returns when they arrive at the far end (System.nanoTime). */
    synchronized long schedule(int n, long nowNanos) {
      long start = busyUntilNanos == Long.MIN_VALUE ? nowNanos : Math.max(nowNanos, busyUntilNanos);
      busyUntilNanos = start + (long) Math.ceil(n * nanosPerByte);
      return busyUntilNanos + delayNanos;
    }

    /** Nanoseconds of data queued on the line ahead of a new byte. */
    synchronized long backlogNanos(long nowNanos) {
      return busyUntilNanos == Long.MIN_VALUE ? 0 : busyUntilNanos - nowNanos;
    }
  }

  private record Segment(byte[] bytes, long deliverAtNanos) {
    static final Segment EOF = new Segment(new byte[0], 0);
  }

  private final class Connection {
    private final Socket branch;
    private final Socket hq;
    private final long id;
    private final AtomicInteger pipesDone = new AtomicInteger();

    Connection(Socket branch, Socket hq, long id) {
      this.branch = branch;
      this.hq = hq;
      this.id = id;
    }

    void start() {
      try {
        new Pipe(branch.getInputStream(), hq, up, "up").start();
        new Pipe(hq.getInputStream(), branch, down, "down").start();
      } catch (IOException e) {
        LOG.warn("{}: connection {} failed to start: {}", name, id, e.toString());
        close();
      }
    }

    void pipeDone() {
      if (pipesDone.incrementAndGet() == 2) {
        close();
      }
    }

    void close() {
      closeQuietly(branch);
      closeQuietly(hq);
      connections.remove(this);
    }

    /** Reads one side, holds each segment until the line delivers it, writes it to the other side. */
    private final class Pipe {
      private final InputStream in;
      private final Socket out;
      private final Line line;
      private final String dir;
      private final LinkedBlockingQueue<Segment> queue = new LinkedBlockingQueue<>();
      private final Semaphore room = new Semaphore(capacityBytes);

      Pipe(InputStream in, Socket out, Line line, String dir) {
        this.in = in;
        this.out = out;
        this.line = line;
        this.dir = dir;
      }

      void start() {
        Thread r = new Thread(this::readLoop, name + "-c" + id + "-" + dir + "-read");
        Thread w = new Thread(this::writeLoop, name + "-c" + id + "-" + dir + "-write");
        r.setDaemon(true);
        w.setDaemon(true);
        r.start();
        w.start();
      }

      private void readLoop() {
        byte[] buf = new byte[SEGMENT_BYTES];
        try {
          while (true) {
            // A small router queue: stop reading while the line is busy further ahead than that.
            long backlog = line.backlogNanos(System.nanoTime());
            while (backlog > QUEUE_NANOS) {
              LockSupport.parkNanos(backlog - QUEUE_NANOS);
              backlog = line.backlogNanos(System.nanoTime());
            }
            int n = in.read(buf);
            if (n < 0) {
              queue.put(Segment.EOF);
              return;
            }
            room.acquire(n);
            byte[] copy = java.util.Arrays.copyOf(buf, n);
            queue.put(new Segment(copy, line.schedule(n, System.nanoTime())));
          }
        } catch (IOException e) {
          closeAfterError(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          close();
        }
      }

      private void writeLoop() {
        try {
          OutputStream os = out.getOutputStream();
          while (true) {
            Segment s = queue.take();
            if (s == Segment.EOF) {
              if (!out.isClosed()) {
                out.shutdownOutput();
              }
              pipeDone();
              return;
            }
            long wait;
            while ((wait = s.deliverAtNanos - System.nanoTime()) > 0) {
              LockSupport.parkNanos(wait);
            }
            // Counted before the write, so whoever reads these bytes at the far end already sees them counted.
            line.delivered.addAndGet(s.bytes.length);
            os.write(s.bytes);
            room.release(s.bytes.length);
          }
        } catch (IOException e) {
          closeAfterError(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          close();
        }
      }

      private void closeAfterError(IOException e) {
        if (!(e instanceof SocketException) && !closed) {
          LOG.debug("{}: connection {} {}: {}", name, id, dir, e.toString());
        }
        close();
        // The other thread of this pipe may be blocked on the queue or on room: wake it.
        queue.offer(Segment.EOF);
        room.release(capacityBytes);
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // Closing after the peer went away: nothing to report.
    }
  }
}
