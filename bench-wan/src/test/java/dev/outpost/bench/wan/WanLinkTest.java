package dev.outpost.bench.wan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class WanLinkTest {

  /** An echo server: every byte read is written back; the connection ends when the client half-closes. */
  private static ServerSocket echoServer() throws IOException {
    ServerSocket ss = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!ss.isClosed()) {
        try (Socket s = ss.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
          in.transferTo(out);
        } catch (IOException e) {
          return;
        }
      }
    }, "echo");
    t.setDaemon(true);
    t.start();
    return ss;
  }

  @Test
  void relaysBytesUnchangedAndCountsEachDirection() throws Exception {
    byte[] sent = new byte[1 << 20];
    new SplittableRandom(3).nextBytes(sent);
    try (ServerSocket echo = echoServer();
        WanLink link = WanLink.open((InetSocketAddress) echo.getLocalSocketAddress(), new LinkSpec(400_000_000, 1));
        Socket s = new Socket()) {
      s.connect(link.address());
      Thread writer = new Thread(() -> {
        try {
          s.getOutputStream().write(sent);
          s.shutdownOutput();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      writer.start();
      byte[] got = new byte[sent.length];
      new DataInputStream(s.getInputStream()).readFully(got);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
      writer.join();
      assertThat(got).isEqualTo(sent);
      assertThat(link.bytes()).isEqualTo(new WanBytes(sent.length, sent.length));
      assertThat(link.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void closingTheLinkCutsItsConnections() throws Exception {
    try (ServerSocket echo = echoServer();
        WanLink link = WanLink.open((InetSocketAddress) echo.getLocalSocketAddress(), new LinkSpec(10_000_000, 0));
        Socket s = new Socket()) {
      s.connect(link.address());
      s.getOutputStream().write(42);
      assertThat(s.getInputStream().read()).isEqualTo(42);
      link.close();
      int after;
      try {
        after = s.getInputStream().read();
      } catch (IOException reset) {
        after = -1;
      }
      assertThat(after).isEqualTo(-1);
      assertThat(link.bytes()).isEqualTo(new WanBytes(1, 1));
    }
  }

  @Test
  void aBadLinkShapeIsATypedError() {
    assertThatThrownBy(() -> new LinkSpec(1_000, 20)).isInstanceOfSatisfying(OutpostException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThatThrownBy(() -> LinkSpec.ofMbit(50, -1)).isInstanceOfSatisfying(OutpostException.class,
        e -> assertThat(e.getMessage()).contains("one-way delay -1 ms"));
  }
}
