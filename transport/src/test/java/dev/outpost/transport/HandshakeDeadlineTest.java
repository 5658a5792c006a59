package dev.outpost.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.CertificateAuthority;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.ProtocolVersion;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Welcome;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 5: a connection that has not finished TLS and HELLO within the handshake deadline (10 s by
 * default) is closed, however slowly it dribbles; and half-open connections cost a normal client nothing.
 */
@Timeout(120)
class HandshakeDeadlineTest {
  private static final Instant FAR = Instant.parse("2100-01-01T00:00:00Z");
  /** The default deadline plus a margin for a loaded machine. */
  private static final Duration DEADLINE_AND_MARGIN = Duration.ofSeconds(10 + 5);

  @TempDir
  Path dir;
  private EventLoopGroup group;
  private Path caPem;
  private SslContext serverTls;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  private static final class AttrService implements RequestService {
    @Override
    public Welcome welcome(int version) {
      return new Welcome(version, "deadline-test", "vol", 0, 0);
    }

    @Override
    public void handle(ServerCall call, Request request) {
      ReferenceCountUtil.release(request);
      call.reply(new AttrReply(new FileAttr(2, FileType.FILE, 0644, 0, 0, 1, Optional.empty(), "")));
    }
  }

  @BeforeEach
  void start() throws Exception {
    group = Transports.newGroup("deadline", 2);
    CertificateAuthority ca = CertificateAuthority.create("test CA", Duration.ofDays(1), Clock.systemUTC(),
        new SecureRandom());
    caPem = dir.resolve("ca.pem");
    ca.save(caPem, dir.resolve("ca.key"));
    ca.issue("server", List.of("127.0.0.1"), true, false, Duration.ofDays(1))
        .writePem(dir.resolve("server.pem"), dir.resolve("server.key"));
    serverTls = Tls.server(new Tls.KeyMaterial(caPem, dir.resolve("server.pem"), dir.resolve("server.key")), false);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables.reversed()) {
      c.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private RpcServer server(Optional<SslContext> tls) {
    RpcServer s = RpcServer.start(new InetSocketAddress("127.0.0.1", 0), tls, Frames.DEFAULT_MAX_FRAME_BYTES, group,
        new AttrService(), token -> new Principal(token, Principal.Access.READ, FAR), Clock.systemUTC());
    closeables.add(s);
    return s;
  }

  private RawPeer track(RawPeer p) {
    closeables.add(p);
    return p;
  }

  @Test
  void peersDribblingOneBytePerSecondAreClosedByTheDeadlineOverTlsAndPlainTcp() throws Exception {
    RpcServer tls = server(Optional.of(serverTls));
    RpcServer plain = server(Optional.empty());
    byte[] hello = RawPeer.encode(List.of(Frame.of(1, ProtocolVersion.hello("slow", "reader"))));

    // TLS done quickly, then HELLO a byte a second; TLS itself a byte a second; plain TCP, HELLO a byte a second.
    RawPeer afterTls = track(RawPeer.tls(tls.address(), caPem));
    RawPeer duringTls = track(RawPeer.plain(tls.address()));
    RawPeer overTcp = track(RawPeer.plain(plain.address()));
    Dribbler dribbler = new Dribbler(List.of(afterTls, duringTls, overTcp), List.of(hello, clientHello(), hello));
    closeables.add(dribbler);

    assertThat(afterTls.closedByServerWithin(DEADLINE_AND_MARGIN)).as("HELLO dribbled after TLS").isTrue();
    assertThat(duringTls.closedByServerWithin(Duration.ofSeconds(2))).as("TLS handshake dribbled").isTrue();
    assertThat(overTcp.closedByServerWithin(Duration.ofSeconds(2))).as("HELLO dribbled over plain TCP").isTrue();
  }

  @Test
  void fiveHundredHalfOpenConnectionsDelayNoNormalClientAndAreClosedByTheDeadline() throws Exception {
    RpcServer s = server(Optional.of(serverTls));
    RpcClient.Options options = RpcClient.Options.plain("normal", "reader")
        .withTls(Tls.client(caPem, Optional.empty()));
    RpcClient steady = RpcClient.connect(group, s.address(), options);
    closeables.add(steady);

    // A third connected and silent; a third that sent the start of a TLS ClientHello and stopped; a third through
    // TLS that then dribble their HELLO a byte a second.
    byte[] partialHello = Arrays.copyOf(clientHello(), 40);
    byte[] hello = RawPeer.encode(List.of(Frame.of(1, ProtocolVersion.hello("slow", "reader"))));
    List<RawPeer> halfOpen = new ArrayList<>();
    List<RawPeer> dribbling = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      RawPeer p = track(i % 3 == 2 ? RawPeer.tls(s.address(), caPem) : RawPeer.plain(s.address()));
      if (i % 3 == 1) {
        p.write(partialHello);
      } else if (i % 3 == 2) {
        dribbling.add(p);
      }
      halfOpen.add(p);
    }
    closeables.add(new Dribbler(dribbling, java.util.Collections.nCopies(dribbling.size(), hello)));
    long opened = System.nanoTime();

    List<String> slow = new ArrayList<>();
    int round = 0;
    while (System.nanoTime() - opened < DEADLINE_AND_MARGIN.toNanos()) {
      long t0 = System.nanoTime();
      steady.call(new GetAttr("", "/x")).get(5, TimeUnit.SECONDS);
      long callMillis = (System.nanoTime() - t0) / 1_000_000;
      if (callMillis > 1000) {
        slow.add("call " + round + ": " + callMillis + " ms");
      }
      if (round % 10 == 0) { // a fresh TLS connection and handshake now and then
        long c0 = System.nanoTime();
        try (RpcClient fresh = RpcClient.connect(group, s.address(), options)) {
          fresh.call(new GetAttr("", "/y")).get(5, TimeUnit.SECONDS);
        }
        long connectMillis = (System.nanoTime() - c0) / 1_000_000;
        if (connectMillis > 1000) {
          slow.add("connect " + round + ": " + connectMillis + " ms");
        }
      }
      round++;
      Thread.sleep(100);
    }
    assertThat(slow).as("calls and connects slower than 1 s beside 500 half-open connections").isEmpty();

    List<Integer> stillOpen = new ArrayList<>();
    for (int i = 0; i < halfOpen.size(); i++) {
      if (!halfOpen.get(i).closedByServerWithin(Duration.ofMillis(100))) {
        stillOpen.add(i);
      }
    }
    assertThat(stillOpen).as("half-open connections left open past the deadline (i %% 3: 0 silent, 1 partial TLS, "
        + "2 dribbling HELLO)").isEmpty();
  }

  /** The first flight of a TLS 1.3 client, as a peer that dribbles its handshake would send it. */
  private byte[] clientHello() throws Exception {
    SSLEngine engine = RawPeer.trusting(caPem).createSSLEngine("127.0.0.1", 1);
    engine.setUseClientMode(true);
    engine.beginHandshake();
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    byte[] bytes = new byte[out.remaining()];
    out.get(bytes);
    return bytes;
  }

  /** Writes one byte a second to each peer from its own bytes, until they run out or the peer is closed. */
  private static final class Dribbler implements AutoCloseable {
    private final Thread thread;

    Dribbler(List<RawPeer> peers, List<byte[]> bytes) {
      thread = Thread.ofPlatform().daemon().name("dribbler").start(() -> {
        boolean[] done = new boolean[peers.size()];
        for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
          for (int p = 0; p < peers.size(); p++) {
            if (done[p] || i >= bytes.get(p).length) {
              continue;
            }
            try {
              peers.get(p).write(new byte[] {bytes.get(p)[i]});
            } catch (IOException e) {
              done[p] = true; // closed by the server
            }
          }
          try {
            Thread.sleep(1000);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }

    @Override
    public void close() throws InterruptedException {
      thread.interrupt();
      thread.join(5000);
    }
  }
}
