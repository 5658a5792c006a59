package dev.outpost.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.Ping;
import dev.outpost.protocol.Pong;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.SubscribeAck;
import dev.outpost.protocol.Welcome;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The idle policy with {@code idleTimeoutSeconds: 1}: a connection that reads nothing and has nothing open is
 * closed, one with an open subscription or a request in flight is kept however quiet, and one whose peer takes
 * none of its queued replies is closed even with calls open.
 */
@Timeout(60)
class IdlePolicyTest {
  private static final Instant FAR = Instant.parse("2100-01-01T00:00:00Z");
  private static final byte[] BIG = new byte[200 * 1024];
  /** The idle timeout, plus the IdleStateHandler's own tick and a margin for a loaded machine. */
  private static final Duration IDLE_AND_MARGIN = Duration.ofSeconds(1 + 3);

  private EventLoopGroup group;
  private RpcServer server;
  private final List<RawPeer> peers = new ArrayList<>();
  private final ConcurrentLinkedQueue<ServerCall> open = new ConcurrentLinkedQueue<>();

  /** Holds GETATTR; SUBSCRIBE acknowledges and stays open; GET_BLOCKS answers with 200 KiB. */
  private final class QuietService implements RequestService {
    @Override
    public Welcome welcome(int version) {
      return new Welcome(version, "idle-test", "vol", 0, 0);
    }

    @Override
    public void handle(ServerCall call, Request request) {
      switch (request) {
        case GetAttr g -> open.add(call);
        case Subscribe s -> {
          open.add(call);
          call.more(new SubscribeAck(0));
        }
        case GetBlocks g -> call.reply(new BlockData(g.ids().getFirst(), Unpooled.wrappedBuffer(BIG)));
        default -> {
          ReferenceCountUtil.release(request);
          call.fail(new IllegalStateException("unexpected " + request));
        }
      }
    }
  }

  @BeforeEach
  void start() {
    group = Transports.newGroup("idle", 2);
    ServerLimits limits = new ServerLimits(64, 256, 4096, 1 << 20, 10_000, 1);
    server = RpcServer.start(new InetSocketAddress("127.0.0.1", 0), Optional.empty(), Frames.DEFAULT_MAX_FRAME_BYTES,
        group, new QuietService(), token -> new Principal(token, Principal.Access.READ, FAR), Clock.systemUTC(),
        limits);
  }

  @AfterEach
  void stop() {
    peers.forEach(RawPeer::close);
    open.forEach(c -> c.reply(new Ok()));
    server.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private RawPeer welcomed(boolean smallBuffers) throws Exception {
    RawPeer p = smallBuffers ? RawPeer.plainWithSmallBuffers(server.address()) : RawPeer.plain(server.address());
    peers.add(p);
    p.hello("reader");
    return p;
  }

  @Test
  void aConnectionThatReadsNothingAndHasNothingOpenIsClosed() throws Exception {
    RawPeer quiet = welcomed(false);
    RawPeer pinging = welcomed(false);
    for (int i = 0; i < 8; i++) { // a peer that sends something now and then is not idle
      pinging.send(Frame.of(2 + i, new Ping(i)));
      assertThat(pinging.read(Duration.ofSeconds(5)).message()).isInstanceOf(Pong.class);
      Thread.sleep(500);
    }
    assertThat(quiet.closedByServerWithin(Duration.ofMillis(200))).as("already closed").isTrue();
    assertThat(pinging.closedByServerWithin(IDLE_AND_MARGIN)).as("closed once it stopped").isTrue();
  }

  @Test
  void anOpenSubscriptionOrARequestInFlightKeepsAQuietConnection() throws Exception {
    RawPeer watching = welcomed(false);
    watching.send(Frame.of(2, new Subscribe(0, "/")));
    assertThat(watching.read(Duration.ofSeconds(5)).message()).isInstanceOf(SubscribeAck.class);
    RawPeer waiting = welcomed(false);
    waiting.send(Frame.of(2, new GetAttr("", "/slow")));

    Thread.sleep(IDLE_AND_MARGIN.toMillis());
    assertThat(watching.closedByServerWithin(Duration.ofMillis(500))).as("watching").isFalse();
    assertThat(waiting.closedByServerWithin(Duration.ofMillis(500))).as("waiting for an answer").isFalse();

    open.forEach(c -> c.reply(new Ok())); // the subscription ends, the request is answered: nothing open
    open.clear();
    assertThat(watching.closedByServerWithin(IDLE_AND_MARGIN)).as("watching no more").isTrue();
    assertThat(waiting.closedByServerWithin(IDLE_AND_MARGIN)).as("answered").isTrue();
  }

  @Test
  void aPeerThatTakesNoneOfItsQueuedRepliesIsClosedEvenWithACallOpen() throws Exception {
    RawPeer stalled = welcomed(true);
    List<Frame> frames = new ArrayList<>();
    frames.add(Frame.of(2, new Subscribe(0, "/"))); // open: the read-idle rule alone would keep it
    for (int i = 0; i < 200; i++) {
      byte[] id = new byte[32];
      id[0] = 1;
      frames.add(Frame.of(3 + i, new GetBlocks(List.of(BlockId.of(id)))));
    }
    stalled.write(RawPeer.encode(frames)); // and reads none of the 40 MiB of answers
    Thread.sleep(IDLE_AND_MARGIN.toMillis() + 1000);
    // Reading now drains what the kernel held, then finds the end of the stream. Had the server not closed, the
    // reading would let it send the rest of the 40 MiB and keep the connection (the subscription is open).
    assertThat(open).as("the subscription is open").hasSize(1);
    assertThat(stalled.closedByServerWithin(Duration.ofSeconds(10))).as("closed as a stalled peer").isTrue();
  }
}
