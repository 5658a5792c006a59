package dev.outpost.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on 127.0.0.1 between clients and a server, standing in for a LAN or WAN link: it can drop every
 * connection at once (a blip, a switch restart), refuse new ones for a while, hold the server's answers back (so
 * a test can drop a connection while a request is known to be unanswered), and fall silent: hold every byte in
 * both directions without closing anything, as a link does whose far end vanished without a FIN. Bytes are
 * forwarded unchanged. Shared by the tests of every module (the transport's test jar).
 */
public final class Relay implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicLong heldBytes = new AtomicLong();
  private final Object holdLock = new Object();
  private volatile boolean holding;
  private volatile boolean silent;
  private volatile boolean refusing;
  private volatile boolean closed;

  public Relay(int targetPort) throws IOException {
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "relay-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** host:port to connect to instead of the server. */
  public String address() {
    return "127.0.0.1:" + port();
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** Connections accepted so far (refused ones included). */
  public int accepted() {
    return accepted.get();
  }

  /** From now on the server's bytes are kept back (not forwarded) until {@link #cutAll()}. */
  public void holdReplies() {
    heldBytes.set(0);
    holding = true;
  }

  /** Bytes of the server's kept back since {@link #holdReplies()}. */
  public long heldBytes() {
    return heldBytes.get();
  }

  /**
   * While on, no byte crosses in either direction, on the connections relayed now and on new ones (which are
   * still accepted), and nothing is closed: both ends see a live TCP connection that says nothing. Off: what was
   * held goes through, and forwarding resumes.
   */
  public void silence(boolean on) {
    silent = on;
    if (!on) {
      synchronized (holdLock) {
        holdLock.notifyAll();
      }
    }
  }

  /** While set, new connections are closed as soon as they are accepted (the server seems down). */
  public void refuse(boolean on) {
    refusing = on;
  }

  /** Closes every relayed connection on both sides; bytes held back are dropped, holding stops. */
  public void cutAll() {
    holding = false;
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    synchronized (holdLock) {
      holdLock.notifyAll();
    }
  }

  @Override
  public void close() {
    closed = true;
    silent = false;
    closeQuietly(listener);
    cutAll();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      if (refusing) {
        closeQuietly(client);
        continue;
      }
      Socket server = new Socket();
      try {
        server.connect(target, 5_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(server);
        continue;
      }
      sockets.add(client);
      sockets.add(server);
      start(client, server, false);
      start(server, client, true);
    }
  }

  private void start(Socket from, Socket to, boolean replies) {
    Thread t = new Thread(() -> pump(from, to, replies), "relay-" + (replies ? "down" : "up"));
    t.setDaemon(true);
    t.start();
  }

  private void pump(Socket from, Socket to, boolean replies) {
    byte[] buf = new byte[64 << 10];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (replies && holding) {
          heldBytes.addAndGet(n);
        }
        synchronized (holdLock) {
          while ((silent || (replies && holding)) && !to.isClosed() && !from.isClosed()) {
            holdLock.wait();
          }
        }
        out.write(buf, 0, n);
      }
    } catch (IOException | InterruptedException e) {
      // One side went away: so does the other.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(from);
      sockets.remove(to);
      synchronized (holdLock) {
        holdLock.notifyAll(); // the pump the other way may be holding bytes for a socket that is now closed
      }
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing
    }
  }
}
