package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.ProtocolVersion;
import dev.outpost.protocol.Welcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A protocol peer driven by hand over a plain socket or TLS, for tests of what a server does with peers the real
 * client never is: one that never reads its replies, sends a byte at a time, or stops half way. Nothing is read
 * unless asked. Frames are encoded with {@link Frames#encode}. Not thread-safe, except {@link #close}.
 */
public final class RawPeer implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;

  private RawPeer(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = new DataInputStream(socket.getInputStream());
  }

  /** A TCP connection; nothing sent yet. */
  public static RawPeer plain(InetSocketAddress server) throws IOException {
    Socket s = new Socket();
    s.connect(server, 5000);
    s.setTcpNoDelay(true);
    return new RawPeer(s);
  }

  /**
   * A TCP connection with small socket buffers (64 KiB each way), so that a peer which stops reading or writing
   * is felt by the server after little data rather than after the kernel's several MiB.
   */
  public static RawPeer plainWithSmallBuffers(InetSocketAddress server) throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(64 * 1024);
    s.setSendBufferSize(64 * 1024);
    s.connect(server, 5000);
    s.setTcpNoDelay(true);
    return new RawPeer(s);
  }

  /** A TLS connection whose handshake has completed, trusting the CA in {@code caPem}; nothing sent yet. */
  public static RawPeer tls(InetSocketAddress server, Path caPem) throws IOException {
    SSLSocket s = (SSLSocket) trusting(caPem).getSocketFactory().createSocket();
    s.connect(server, 5000);
    s.setTcpNoDelay(true);
    s.setEnabledProtocols(new String[] {"TLSv1.3"});
    s.startHandshake();
    return new RawPeer(s);
  }

  /** An SSL context trusting only the CA certificate in {@code caPem}. */
  public static SSLContext trusting(Path caPem) throws IOException {
    try (InputStream pem = Files.newInputStream(caPem)) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(pem));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLSv1.3");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot trust " + caPem + ": " + e.getMessage(), e);
    }
  }

  /** The wire bytes of {@code frames}, one after the other. */
  public static byte[] encode(List<Frame> frames) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (Frame f : frames) {
      ByteBuf b = Frames.encode(f, ByteBufAllocator.DEFAULT);
      try {
        byte[] a = new byte[b.readableBytes()];
        b.readBytes(a);
        bytes.writeBytes(a);
      } finally {
        b.release();
      }
    }
    return bytes.toByteArray();
  }

  /** Sends HELLO with {@code token} as request 1 and returns the server's WELCOME. */
  public Welcome hello(String token) throws IOException {
    send(Frame.of(1, ProtocolVersion.hello("raw-peer", token)));
    Frame reply = read(Duration.ofSeconds(10));
    if (reply.message() instanceof Welcome w) {
      return w;
    }
    if (reply.message() instanceof ErrorReply e) {
      throw new OutpostException(e.code(), "HELLO refused: " + e.message());
    }
    throw new OutpostException(ErrorCode.PROTOCOL_VIOLATION, "expected WELCOME, got " + reply.message());
  }

  public void send(Frame frame) throws IOException {
    write(encode(List.of(frame)));
  }

  public void write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Reads the next frame; the caller owns it (release it if it holds a payload). */
  public Frame read(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    int length = in.readInt();
    if (length < Frames.HEADER_BYTES || length > Frames.DEFAULT_MAX_FRAME_BYTES) {
      throw new IOException("bad frame length " + length);
    }
    byte[] body = new byte[length];
    in.readFully(body);
    return Frames.decode(Unpooled.wrappedBuffer(body));
  }

  /**
   * Reads and discards whatever arrives until the server closes the connection or {@code within} passes.
   *
   * @return true if the server closed (end of stream or reset) within the time
   */
  public boolean closedByServerWithin(Duration within) throws IOException {
    long deadline = System.nanoTime() + within.toNanos();
    byte[] sink = new byte[64 * 1024];
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return false;
      }
      socket.setSoTimeout((int) Math.max(1, left));
      try {
        if (in.read(sink) < 0) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        return false;
      } catch (IOException e) {
        return true; // reset by the server
      }
    }
  }

  public Socket socket() {
    return socket;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a test socket: nothing to do
    }
  }
}
