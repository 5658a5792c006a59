package dev.outpost.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.CertificateAuthority;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.BlockMissing;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.Ping;
import dev.outpost.protocol.Pong;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Unlink;
import dev.outpost.protocol.Welcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class RpcRoundTripTest {
  private static final Instant FAR = Instant.parse("2100-01-01T00:00:00Z");
  private EventLoopGroup group;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  /** Answers GetAttr with a fixed file, GetBlocks with one frame per id, Unlink with an error. */
  private static final class EchoService implements RequestService {
    volatile String lastSubject;
    volatile Session lastSession;

    @Override
    public Welcome welcome(int version) {
      return new Welcome(version, "test", "vol", 7, 0);
    }

    @Override
    public void handle(ServerCall call, Request request) {
      lastSubject = call.session().principal().orElseThrow().subject();
      lastSession = call.session();
      switch (request) {
        case GetAttr g when g.path().equals("/push") -> {
          // Answer, then push a recall to the session that asked (as the origin does to a lease holder).
          call.reply(new Ok());
          call.push(new dev.outpost.protocol.LeaseRecall("/on-session-" + call.session().id(), 1));
        }
        case GetAttr g -> call.reply(new AttrReply(new FileAttr(2, FileType.FILE, 0644, 5, 0, 3, Optional.empty(), "")));
        case GetBlocks g -> {
          for (int i = 0; i < g.ids().size(); i++) {
            BlockId id = g.ids().get(i);
            Reply r = id.byteAt(0) == 0 ? new BlockMissing(id)
                : new BlockData(id, Unpooled.wrappedBuffer(new byte[] {id.byteAt(0), 1, 2}));
            if (i == g.ids().size() - 1) {
              call.reply(r);
            } else {
              call.more(r);
            }
          }
        }
        case Unlink u -> call.fail(new OutpostException(ErrorCode.NOT_FOUND, "no such file: " + u.path()));
        default -> {
          ReferenceCountUtil.release(request);
          call.fail(new OutpostException(ErrorCode.INVALID_ARGUMENT, "unexpected"));
        }
      }
    }
  }

  private final EchoService service = new EchoService();

  private static Principal principalFor(String token) {
    return switch (token) {
      case "good", "other" -> new Principal(token, Principal.Access.WRITE, FAR);
      case "s3cret-token" -> new Principal("someone", Principal.Access.READ, FAR);
      case "expired" -> new Principal("old", Principal.Access.READ, Instant.parse("2000-01-01T00:00:00Z"));
      default -> throw new OutpostException(ErrorCode.UNAUTHORIZED, "bad token");
    };
  }

  @BeforeEach
  void start() {
    group = Transports.newGroup("test", 2);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables.reversed()) {
      c.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private RpcServer server(Optional<io.netty.handler.ssl.SslContext> tls) {
    RpcServer s = RpcServer.start(new InetSocketAddress("127.0.0.1", 0), tls, Frames.DEFAULT_MAX_FRAME_BYTES, group,
        service, RpcRoundTripTest::principalFor, Clock.systemUTC());
    closeables.add(s);
    return s;
  }

  private RpcClient client(RpcServer s, String token) {
    RpcClient c = RpcClient.connect(group, s.address(), RpcClient.Options.plain("test-client", token));
    closeables.add(c);
    return c;
  }

  private static BlockId id(int first) {
    byte[] b = new byte[32];
    b[0] = (byte) first;
    b[31] = (byte) first;
    return BlockId.of(b);
  }

  @Test
  void handshakeCallAndErrorsMapToTypedExceptions() {
    RpcServer s = server(Optional.empty());
    RpcClient c = client(s, "good");
    assertThat(c.welcome().volume()).isEqualTo("vol");
    assertThat(c.welcome().journalSeq()).isEqualTo(7);
    Reply r = c.call(new GetAttr("", "/a")).join();
    assertThat(r).isInstanceOfSatisfying(AttrReply.class, a -> assertThat(a.attr().version()).isEqualTo(3));
    assertThat(c.call(new Ping(42)).join()).isEqualTo(new Pong(42));
    assertThatThrownBy(() -> c.call(new Unlink("/gone")).join())
        .hasCauseInstanceOf(OutpostException.class)
        .satisfies(e -> assertThat(Errors.unwrap(e).code()).isEqualTo(ErrorCode.NOT_FOUND))
        .hasMessageContaining("no such file: /gone");
  }

  @Test
  void streamedRepliesArriveWithLastFlagAndBuffersAreOwnedByTheStream() {
    RpcServer s = server(Optional.empty());
    RpcClient c = client(s, "good");
    List<String> seen = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    c.stream(0, new GetBlocks(List.of(id(1), id(0), id(3))), new ReplyStream() {
      @Override
      public void onReply(Reply reply, boolean last) {
        switch (reply) {
          case BlockData d -> {
            seen.add("data" + d.cipher().getByte(0));
            d.release();
          }
          case BlockMissing m -> seen.add("missing");
          default -> seen.add("other");
        }
        if (last) {
          done.complete(null);
        }
      }

      @Override
      public void onError(OutpostException error) {
        done.completeExceptionally(error);
      }
    });
    done.join();
    assertThat(seen).containsExactly("data1", "missing", "data3");
    assertThat(c.inFlight()).isZero();
  }

  @Test
  void pipelinedCallsAllComplete() {
    RpcServer s = server(Optional.empty());
    RpcClient c = client(s, "good");
    List<CompletableFuture<Reply>> futures = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      futures.add(c.call(new Ping(i)));
    }
    for (int i = 0; i < futures.size(); i++) {
      assertThat(futures.get(i).join()).isEqualTo(new Pong(i));
    }
  }

  @Test
  void badAndExpiredTokensAreRefused() {
    RpcServer s = server(Optional.empty());
    assertThatThrownBy(() -> client(s, "forged"))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED));
    RpcClient expired = client(s, "expired");
    assertThatThrownBy(() -> expired.call(new GetAttr("", "/a")).join())
        .satisfies(e -> assertThat(Errors.unwrap(e).code()).isEqualTo(ErrorCode.UNAUTHORIZED))
        .hasMessageContaining("expired");
    RpcClient anonymous = client(s, "");
    assertThatThrownBy(() -> anonymous.call(new GetAttr("", "/a")).join())
        .satisfies(e -> assertThat(Errors.unwrap(e).code()).isEqualTo(ErrorCode.UNAUTHORIZED));
  }

  @Test
  void attachedSessionsActForTheirOwnToken() {
    RpcServer s = server(Optional.empty());
    RpcClient proxyLike = client(s, "good");
    int session = proxyLike.attach("other").join();
    assertThat(session).isPositive();
    proxyLike.call(session, new GetAttr("", "/a")).join();
    assertThat(service.lastSubject).isEqualTo("other");
    proxyLike.call(0, new GetAttr("", "/a")).join();
    assertThat(service.lastSubject).isEqualTo("good");
    assertThatThrownBy(() -> proxyLike.attach("forged").join())
        .satisfies(e -> assertThat(Errors.unwrap(e).code()).isEqualTo(ErrorCode.UNAUTHORIZED));
    assertThatThrownBy(() -> proxyLike.call(999, new GetAttr("", "/a")).join())
        .satisfies(e -> assertThat(Errors.unwrap(e).code()).isEqualTo(ErrorCode.UNAUTHORIZED));
  }

  @Test
  void sessionsKeepTheTokenTheyWereAuthenticatedWithButDoNotPrintIt() {
    RpcServer s = server(Optional.empty());
    RpcClient proxyLike = client(s, "good");
    proxyLike.call(0, new GetAttr("", "/a")).join();
    assertThat(service.lastSession.token()).contains("good");
    int session = proxyLike.attach("s3cret-token").join();
    proxyLike.call(session, new GetAttr("", "/a")).join();
    assertThat(service.lastSession.id()).isEqualTo(session);
    assertThat(service.lastSession.token()).contains("s3cret-token");
    assertThat(service.lastSession.toString()).doesNotContain("s3cret").contains("id=" + session).contains("someone");
    assertThatThrownBy(() -> new Session(1, Optional.empty(), Optional.of("t"), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pushesSayWhichSessionTheyAreFor() throws Exception {
    RpcServer s = server(Optional.empty());
    RpcClient proxyLike = client(s, "good");
    int a = proxyLike.attach("other").join();
    int b = proxyLike.attach("good").join();
    java.util.concurrent.LinkedBlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
    proxyLike.onPush((session, reply) -> got.add(session + " " + ((dev.outpost.protocol.LeaseRecall) reply).path()));
    // Sessions served out of order: each push names the session it was for.
    proxyLike.call(b, new GetAttr("", "/push")).join();
    proxyLike.call(a, new GetAttr("", "/push")).join();
    proxyLike.call(0, new GetAttr("", "/push")).join();
    assertThat(List.of(got.poll(10, TimeUnit.SECONDS), got.poll(10, TimeUnit.SECONDS), got.poll(10, TimeUnit.SECONDS)))
        .containsExactly(b + " /on-session-" + b, a + " /on-session-" + a, "0 /on-session-0");
    // The one-argument form still works for single-session connections.
    CompletableFuture<Reply> single = new CompletableFuture<>();
    proxyLike.onPush(single::complete);
    proxyLike.call(a, new GetAttr("", "/push")).join();
    assertThat(single.get(10, TimeUnit.SECONDS)).isEqualTo(new dev.outpost.protocol.LeaseRecall("/on-session-" + a, 1));
  }

  @Test
  void garbageFromAPeerGetsATypedErrorAndTheConnectionCloses() throws Exception {
    RpcServer s = server(Optional.empty());
    try (Socket raw = new Socket("127.0.0.1", s.port())) {
      raw.setSoTimeout(5000);
      OutputStream out = raw.getOutputStream();
      // A frame claiming a 1 GiB body: refused before any allocation.
      out.write(new byte[] {0x40, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0});
      out.flush();
      InputStream in = raw.getInputStream();
      byte[] all = in.readAllBytes(); // returns once the server closes
      ByteBuf buf = Unpooled.wrappedBuffer(all);
      try {
        buf.skipBytes(4);
        var frame = Frames.decode(buf);
        assertThat(frame.message()).isInstanceOfSatisfying(dev.outpost.protocol.ErrorReply.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
      } finally {
        buf.release();
      }
    }
    // the server still serves others
    assertThat(client(s, "good").call(new Ping(1)).join()).isEqualTo(new Pong(1));
  }

  @Test
  void lostConnectionFailsCallsInFlightAsUnavailable() {
    RpcServer s = server(Optional.empty());
    RpcClient c = client(s, "good");
    s.close();
    c.close();
    assertThatThrownBy(() -> c.call(new Ping(1)).get(5, TimeUnit.SECONDS))
        .satisfies(e -> assertThat(Errors.unwrap(e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
    assertThatThrownBy(() -> RpcClient.connect(group, new InetSocketAddress("127.0.0.1", 1),
        RpcClient.Options.plain("t", "good").withConnectTimeout(Duration.ofSeconds(2))))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
        .hasMessageContaining("127.0.0.1:1");
  }

  @Test
  void mutualTlsWithCertificatesFromTheOutpostCa(@TempDir Path dir) throws Exception {
    Clock clock = Clock.systemUTC();
    SecureRandom random = new SecureRandom();
    CertificateAuthority ca = CertificateAuthority.create("test CA", Duration.ofDays(1), clock, random);
    ca.save(dir.resolve("ca.pem"), dir.resolve("ca.key"));
    ca.issue("origin", List.of("127.0.0.1", "localhost"), true, false, Duration.ofDays(1))
        .writePem(dir.resolve("server.pem"), dir.resolve("server.key"));
    ca.issue("proxy", List.of("proxy"), false, true, Duration.ofDays(1))
        .writePem(dir.resolve("client.pem"), dir.resolve("client.key"));
    RpcServer s = server(Optional.of(Tls.server(
        new Tls.KeyMaterial(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key")), true)));
    var clientTls = Tls.client(dir.resolve("ca.pem"),
        Optional.of(new Tls.KeyMaterial(dir.resolve("ca.pem"), dir.resolve("client.pem"), dir.resolve("client.key"))));
    RpcClient c = RpcClient.connect(group, s.address(), RpcClient.Options.plain("tls", "good").withTls(clientTls));
    closeables.add(c);
    assertThat(c.call(new Ping(5)).join()).isEqualTo(new Pong(5));
    assertThat(c.call(new GetAttr("", "/x")).join()).isInstanceOf(AttrReply.class);

    // Without a client certificate the server refuses the handshake.
    var noCert = Tls.client(dir.resolve("ca.pem"), Optional.empty());
    assertThatThrownBy(() -> RpcClient.connect(group, s.address(), RpcClient.Options.plain("tls", "good").withTls(noCert)))
        .isInstanceOf(OutpostException.class);
    // A client that does not trust the CA refuses the server.
    CertificateAuthority other = CertificateAuthority.create("other CA", Duration.ofDays(1), clock, random);
    other.save(dir.resolve("other.pem"), dir.resolve("other.key"));
    var wrongCa = Tls.client(dir.resolve("other.pem"),
        Optional.of(new Tls.KeyMaterial(dir.resolve("ca.pem"), dir.resolve("client.pem"), dir.resolve("client.key"))));
    assertThatThrownBy(() -> RpcClient.connect(group, s.address(), RpcClient.Options.plain("tls", "good").withTls(wrongCa)))
        .isInstanceOf(OutpostException.class);
  }
}
