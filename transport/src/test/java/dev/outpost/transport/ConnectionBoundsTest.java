package dev.outpost.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.BlockMissing;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.Ping;
import dev.outpost.protocol.Pong;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Welcome;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bounds of issue 11 at the transport, with the defaults ({@link ServerLimits#DEFAULTS}), against a real server on
 * loopback and peers driven by hand: requests in flight per connection and per server, bytes of queued replies,
 * open streams and the number of connections. Each test shows that the server stops reading at the bound and
 * resumes once the peer (or the service) makes room.
 */
@Timeout(120)
class ConnectionBoundsTest {
  private static final Instant FAR = Instant.parse("2100-01-01T00:00:00Z");
  /** A reply payload of 200 KiB, shared by every BlockData: a peer that reads none fills 4 MiB with 21 of them. */
  private static final byte[] BIG = new byte[200 * 1024];

  private EventLoopGroup group;
  private RpcServer server;
  private final List<RawPeer> peers = new ArrayList<>();
  private final HoldingService service = new HoldingService();

  /**
   * Holds every GETATTR until the test answers it; answers GET_BLOCKS at once with one 200 KiB block, or, for an id
   * starting with 0xFF, opens a stream (one BLOCK_MISSING frame with MORE) and keeps it open.
   */
  private static final class HoldingService implements RequestService {
    final ConcurrentLinkedQueue<ServerCall> held = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<ServerCall> streaming = new ConcurrentLinkedQueue<>();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger blocksAnswered = new AtomicInteger();

    @Override
    public Welcome welcome(int version) {
      return new Welcome(version, "bounds-test", "vol", 0, 0);
    }

    @Override
    public void handle(ServerCall call, Request request) {
      switch (request) {
        case GetAttr g -> {
          accepted.incrementAndGet();
          held.add(call);
        }
        case GetBlocks g when g.ids().getFirst().byteAt(0) == (byte) 0xFF -> {
          streaming.add(call);
          call.more(new BlockMissing(g.ids().getFirst()));
        }
        case GetBlocks g -> {
          blocksAnswered.incrementAndGet();
          call.reply(new BlockData(g.ids().getFirst(), Unpooled.wrappedBuffer(BIG)));
        }
        default -> {
          ReferenceCountUtil.release(request);
          call.fail(new IllegalStateException("unexpected " + request));
        }
      }
    }

    /** Answers up to {@code n} held calls. */
    void answer(int n) {
      for (int i = 0; i < n; i++) {
        ServerCall c = held.poll();
        if (c == null) {
          return;
        }
        c.reply(new AttrReply(new FileAttr(2, FileType.FILE, 0644, 0, 0, 1, Optional.empty(), "")));
      }
    }
  }

  @BeforeEach
  void start() {
    group = Transports.newGroup("bounds", 2);
    server = RpcServer.start(new InetSocketAddress("127.0.0.1", 0), Optional.empty(), Frames.DEFAULT_MAX_FRAME_BYTES,
        group, service, token -> new Principal(token, Principal.Access.READ, FAR), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    peers.forEach(RawPeer::close);
    service.answer(Integer.MAX_VALUE);
    service.streaming.forEach(c -> c.reply(new BlockMissing(id(0xFF))));
    server.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private RawPeer welcomed() throws IOException {
    RawPeer p = RawPeer.plain(server.address());
    peers.add(p);
    p.hello("reader");
    return p;
  }

  private static List<Frame> getAttrs(int firstId, int count) {
    List<Frame> frames = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      frames.add(Frame.of(firstId + i, new GetAttr("", "/f" + i)));
    }
    return frames;
  }

  @Test
  void readingStopsAtTheInFlightBoundPerConnectionAndResumesAsCallsAreAnswered() throws Exception {
    int bound = ServerLimits.DEFAULTS.maxInFlightPerConnection();
    RawPeer peer = welcomed();
    List<Frame> frames = getAttrs(2, bound + 40);
    frames.add(Frame.of(9999, new Ping(7)));
    peer.write(RawPeer.encode(frames));

    assertThat(settled(service.accepted::get)).as("requests handed to the service").isEqualTo(bound);
    // The PING behind them is not read either, so it is not answered.
    assertThatNothingArrives(peer);

    service.answer(10);
    for (int i = 0; i < 10; i++) {
      assertThat(peer.read(Duration.ofSeconds(5)).message()).isInstanceOf(AttrReply.class);
    }
    assertThat(settled(service.accepted::get)).as("ten answered, ten more read").isEqualTo(bound + 10);

    service.answer(Integer.MAX_VALUE);
    assertThat(settled(service.accepted::get)).isEqualTo(bound + 40);
    service.answer(Integer.MAX_VALUE);
    int attrs = 0;
    int pongs = 0;
    for (int i = 0; i < bound + 30 + 1; i++) {
      Frame f = peer.read(Duration.ofSeconds(5));
      attrs += f.message() instanceof AttrReply ? 1 : 0;
      pongs += f.message() instanceof Pong ? 1 : 0;
    }
    assertThat(attrs).as("every request answered").isEqualTo(bound + 30);
    assertThat(pongs).as("and the PING").isEqualTo(1);
  }

  @Test
  void theServerWideInFlightBoundStopsEveryConnectionAndResumesAsCallsAreAnswered() throws Exception {
    int total = ServerLimits.DEFAULTS.maxInFlight();
    int perPeer = ServerLimits.DEFAULTS.maxInFlightPerConnection() - 6; // each stays under its own bound
    int peersNeeded = total / perPeer + 2;
    for (int i = 0; i < peersNeeded; i++) {
      welcomed().write(RawPeer.encode(getAttrs(2, perPeer)));
    }
    assertThat(settled(service.accepted::get)).as("requests handed to the service").isEqualTo(total);
    RawPeer late = welcomed(); // a full server still completes a new client's handshake
    late.write(RawPeer.encode(getAttrs(2, 1)));
    assertThat(settled(service.accepted::get)).as("but holds its request").isEqualTo(total);

    service.answer(100);
    assertThat(settled(service.accepted::get)).isEqualTo(total + 100);
    service.answer(Integer.MAX_VALUE);
    assertThat(settled(service.accepted::get)).isEqualTo(peersNeeded * perPeer + 1);
  }

  @Test
  void queuedReplyBytesStopReadingUntilThePeerReadsThem() throws Exception {
    RawPeer peer = RawPeer.plainWithSmallBuffers(server.address());
    peers.add(peer);
    peer.hello("reader");
    int requests = 1000;
    List<Frame> frames = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      frames.add(Frame.of(2 + i, new GetBlocks(List.of(id(1 + i % 200)))));
    }
    peer.write(RawPeer.encode(frames)); // 1000 small requests; none of the 200 KiB answers read

    // 4 MiB of queued replies is ~21 blocks, the kernel's socket buffers hold a few MiB more.
    int answered = settled(service.blocksAnswered::get);
    assertThat(answered).as("blocks answered while the peer reads nothing").isLessThan(200);

    for (int i = 0; i < requests; i++) {
      Frame f = peer.read(Duration.ofSeconds(10));
      assertThat(f.message()).isInstanceOf(BlockData.class);
      f.release();
    }
    assertThat(service.blocksAnswered.get()).as("all answered once the peer read").isEqualTo(requests);
  }

  @Test
  void openStreamsAreBoundedPerConnectionAndNoLongerCountAsInFlight() throws Exception {
    int bound = ServerLimits.MAX_STREAMS_PER_CONNECTION;
    RawPeer peer = welcomed();
    List<Frame> frames = new ArrayList<>();
    for (int i = 0; i < bound + 10; i++) {
      frames.add(Frame.of(2 + i, new GetBlocks(List.of(id(0xFF)))));
    }
    peer.write(RawPeer.encode(frames));
    // Far more than maxInFlightPerConnection: a stream that started answering is not in flight.
    assertThat(settled(service.streaming::size)).as("streams opened").isEqualTo(bound);

    for (int i = 0; i < 5; i++) {
      service.streaming.poll().reply(new BlockMissing(id(0xFF)));
    }
    assertThat(settled(service.streaming::size)).as("five ended, five more read").isEqualTo(bound);
    List<ServerCall> open = new ArrayList<>(); // taken while reading is stopped, so nothing is added meanwhile
    for (ServerCall c = service.streaming.poll(); c != null; c = service.streaming.poll()) {
      open.add(c);
    }
    open.forEach(c -> c.reply(new BlockMissing(id(0xFF))));
    assertThat(settled(service.streaming::size)).as("the last five").isEqualTo(5);
  }

  @Test
  void connectionsBeyondTheServerBoundAreClosedAtOnceUntilOneLeaves() throws Exception {
    int bound = ServerLimits.DEFAULTS.maxConnections();
    for (int i = 0; i < bound; i++) {
      peers.add(RawPeer.plain(server.address()));
    }
    RawPeer extra = RawPeer.plain(server.address());
    peers.add(extra);
    assertThat(extra.closedByServerWithin(Duration.ofSeconds(5))).as("connection %d closed", bound + 1).isTrue();

    peers.getFirst().close();
    Thread.sleep(200); // the server sees the close
    RawPeer next = RawPeer.plain(server.address());
    peers.add(next);
    assertThat(next.hello("reader").version()).as("a place freed: served again").isPositive();
  }

  private static BlockId id(int first) {
    byte[] b = new byte[32];
    b[0] = (byte) first;
    return BlockId.of(b);
  }

  /** The value of {@code counter} once it has not changed for a second (at most 30 s). */
  private static int settled(IntSupplier counter) throws InterruptedException {
    int last = counter.getAsInt();
    long stableSince = System.nanoTime();
    long deadline = stableSince + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Thread.sleep(100);
      int now = counter.getAsInt();
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(1)) {
        return now;
      }
    }
    return last;
  }

  private static void assertThatNothingArrives(RawPeer peer) throws IOException {
    try {
      Frame f = peer.read(Duration.ofMillis(500));
      throw new AssertionError("expected nothing while reading is stopped, got " + f);
    } catch (SocketTimeoutException expected) {
      // nothing came
    }
  }
}
