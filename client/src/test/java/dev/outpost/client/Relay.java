package dev.outpost.client;

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
 * A TCP relay on 127.0.0.1 between clients and a server, standing in for the LAN: it can drop every connection
 * at once (a blip, a switch restart), refuse new ones for a while, and hold the server's answers back, so a test
 * can drop a connection while a request is known to be unanswered. Bytes are forwarded unchanged.
 */
final class Relay implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicLong heldBytes = new AtomicLong();
  private final Object holdLock = new Object();
  private volatile boolean holding;
  private volatile boolean refusing;
  private volatile boolean closed;

  Relay(int targetPort) throws IOException {
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "relay-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String address() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  /** Connections accepted so far (refused ones included). */
  int accepted() {
    return accepted.get();
  }

  /** From now on the server's bytes are kept back (not forwarded) until {@link #cutAll()}. */
  void holdReplies() {
    heldBytes.set(0);
    holding = true;
  }

  /** Bytes of the server's kept back since {@link #holdReplies()}. */
  long heldBytes() {
    return heldBytes.get();
  }

  /** While set, new connections are closed as soon as they are accepted (the server seems down). */
  void refuse(boolean on) {
    refusing = on;
  }

  /** Closes every relayed connection on both sides; bytes held back are dropped, holding stops. */
  void cutAll() {
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
          synchronized (holdLock) {
            while (holding && !to.isClosed()) {
              holdLock.wait();
            }
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
