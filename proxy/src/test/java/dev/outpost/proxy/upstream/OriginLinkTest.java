package dev.outpost.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.BlockIds;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Welcome;
import dev.outpost.proxy.cache.BlockSource;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.transport.Backoff;
import dev.outpost.transport.Principal;
import dev.outpost.transport.RequestService;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.RpcServer;
import dev.outpost.transport.ServerCall;
import dev.outpost.transport.Transports;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The link against a scripted origin. */
class OriginLinkTest {
  /** Answers GET_BLOCKS; the first call sends one block and then fails UNAVAILABLE. */
  static final class FlakyOrigin implements RequestService {
    final Map<BlockId, byte[]> blocks;
    final AtomicInteger calls = new AtomicInteger();
    final List<List<BlockId>> asked = new ArrayList<>();

    FlakyOrigin(Map<BlockId, byte[]> blocks) {
      this.blocks = blocks;
    }

    @Override
    public Welcome welcome(int version) {
      return new Welcome(version, "fake", "v", 0, 0);
    }

    @Override
    public void handle(ServerCall call, Request request) {
      if (!(request instanceof GetBlocks g)) {
        ReferenceCountUtil.release(request);
        call.fail(new OutpostException(ErrorCode.INVALID_ARGUMENT, "only GET_BLOCKS"));
        return;
      }
      synchronized (asked) {
        asked.add(g.ids());
      }
      boolean flaky = calls.incrementAndGet() == 1;
      for (int i = 0; i < g.ids().size(); i++) {
        BlockId id = g.ids().get(i);
        BlockData d = new BlockData(id, Unpooled.wrappedBuffer(blocks.get(id)));
        if (flaky) {
          call.more(d);
          call.fail(new OutpostException(ErrorCode.UNAVAILABLE, "store briefly unavailable"));
          return;
        }
        if (i == g.ids().size() - 1) {
          call.reply(d);
        } else {
          call.more(d);
        }
      }
    }
  }

  @Test
  void unansweredBlocksAreAskedAgainOnceAfterUnavailable() throws Exception {
    Map<BlockId, byte[]> blocks = new ConcurrentHashMap<>();
    List<BlockId> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      byte[] b = ("block " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      blocks.put(BlockIds.of(b), b);
      ids.add(BlockIds.of(b));
    }
    FlakyOrigin fake = new FlakyOrigin(blocks);
    EventLoopGroup group = Transports.newGroup("test-link", 1);
    RpcServer server = RpcServer.start(new InetSocketAddress("127.0.0.1", 0), Optional.empty(),
        Frames.DEFAULT_MAX_FRAME_BYTES, group, fake,
        token -> new Principal("p", Principal.Access.READ, Instant.now().plusSeconds(3600)), Clock.systemUTC());
    OriginLink link = new OriginLink(server.address(), RpcClient.Options.plain("proxy", "tok"), group, "v",
        new Backoff(10, 100), 5000, 1000, Clock.systemUTC(), new ProxyMetrics());
    try {
      Map<BlockId, byte[]> got = new ConcurrentHashMap<>();
      CompletableFuture<OutpostException> done = new CompletableFuture<>();
      link.fetch(ids, new BlockSource.Sink() {
        @Override
        public void block(BlockId id, byte[] cipher) {
          assertThat(got.put(id, cipher)).as("each id once").isNull();
        }

        @Override
        public void missing(BlockId id) {
          throw new AssertionError("nothing is missing");
        }

        @Override
        public void done(OutpostException error) {
          done.complete(error);
        }
      });
      assertThat(done.get(10, TimeUnit.SECONDS)).isNull();
      assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(fake.asked).hasSize(2);
      assertThat(fake.asked.get(1)).hasSize(4).doesNotContain(ids.get(0));
    } finally {
      link.close();
      server.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void aLinkToAnOriginOfAnotherVolumeStaysDisconnectedWithTheRefusalAsItsLastError() throws Exception {
    EventLoopGroup group = Transports.newGroup("test-link", 1);
    RpcServer server = RpcServer.start(new InetSocketAddress("127.0.0.1", 0), Optional.empty(),
        Frames.DEFAULT_MAX_FRAME_BYTES, group, new FlakyOrigin(Map.of()),
        token -> new Principal("p", Principal.Access.READ, Instant.now().plusSeconds(3600)), Clock.systemUTC());
    OriginLink link = new OriginLink(server.address(), RpcClient.Options.plain("proxy", "tok"), group, "other",
        new Backoff(10, 50), 200, 1000, Clock.systemUTC(), new ProxyMetrics());
    try {
      var err = org.assertj.core.api.Assertions.catchThrowableOfType(java.util.concurrent.ExecutionException.class,
          () -> link.generation().get(5, TimeUnit.SECONDS));
      assertThat(((OutpostException) err.getCause()).code()).isIn(ErrorCode.UNAVAILABLE, ErrorCode.INVALID_ARGUMENT);
      // Never up, so DISCONNECTED from the start; the refusal is what the status shows.
      assertThat(link.state()).isEqualTo(LinkState.DISCONNECTED);
      assertThat(link.isUp()).isFalse();
      assertThat(link.health().status().lastError()).hasValueSatisfying(e ->
          assertThat(e.message()).isEqualTo(server.address().getHostString() + ":" + server.port()
              + " serves volume v, not other"));
    } finally {
      link.close();
      server.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
