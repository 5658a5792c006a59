package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.BlockIds;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.PutBlock;
import dev.outpost.protocol.Reply;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.Transports;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many concurrent readers of overlapping blocks cost one origin fetch per distinct block. */
class SingleFlightTest {
  static final int BLOCKS = 64;
  static final int CONNECTIONS = 20;
  static final int STREAMS_PER_CONNECTION = 10;
  static final int IDS_PER_STREAM = 24;

  @TempDir
  Path dir;

  @Test
  void twoHundredConcurrentStreamsFetchEachDistinctBlockOnce() throws Exception {
    EventLoopGroup group = Transports.newGroup("test-sf", 2);
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      Random random = new Random(7);
      Map<BlockId, byte[]> blocks = new HashMap<>();
      RpcClient upload = RpcClient.connect(group, f.origin.address(), RpcClient.Options.plain("t", f.adminToken));
      for (int i = 0; i < BLOCKS; i++) {
        byte[] b = new byte[8_000 + random.nextInt(40_000)];
        random.nextBytes(b);
        b[0] = BlockFormat.DATA_RAW;
        BlockId id = BlockIds.of(b);
        blocks.put(id, b);
        Reply r = upload.call(new PutBlock(id, Unpooled.wrappedBuffer(b))).get(10, TimeUnit.SECONDS);
        assertThat(r).isInstanceOf(Ok.class);
      }
      upload.close();
      List<BlockId> ids = new ArrayList<>(blocks.keySet());
      long originBefore = f.originBlocksSent();

      String token = f.token(dev.outpost.crypto.AccessToken.Mode.RO, "reader");
      List<RpcClient> conns = new ArrayList<>();
      for (int c = 0; c < CONNECTIONS; c++) {
        conns.add(RpcClient.connect(group, f.proxy.address(), RpcClient.Options.plain("t", token)));
      }
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      List<CompletableFuture<Integer>> done = new ArrayList<>();
      for (int s = 0; s < CONNECTIONS * STREAMS_PER_CONNECTION; s++) {
        List<BlockId> mine = new ArrayList<>(ids);
        Collections.shuffle(mine, new Random(s));
        List<BlockId> want = mine.subList(0, IDS_PER_STREAM);
        CompletableFuture<Integer> streamDone = new CompletableFuture<>();
        done.add(streamDone);
        int[] received = new int[1];
        conns.get(s % CONNECTIONS).stream(0, new GetBlocks(want), new ReplyStream() {
          @Override
          public void onReply(Reply reply, boolean last) {
            try {
              if (reply instanceof BlockData d) {
                if (!Arrays.equals(ByteBufUtil.getBytes(d.cipher()), blocks.get(d.id()))) {
                  problems.add("wrong bytes for " + d.id());
                }
                received[0]++;
              } else {
                problems.add("unexpected " + reply);
              }
            } finally {
              ReferenceCountUtil.release(reply);
            }
            if (last) {
              streamDone.complete(received[0]);
            }
          }

          @Override
          public void onError(dev.outpost.core.OutpostException error) {
            streamDone.completeExceptionally(error);
          }
        });
      }
      for (CompletableFuture<Integer> d : done) {
        assertThat(d.get(30, TimeUnit.SECONDS)).isEqualTo(IDS_PER_STREAM);
      }
      assertThat(problems).isEmpty();
      long distinct = BLOCKS; // 200 random subsets of 24 out of 64 cover all 64
      assertThat(f.originBlocksSent() - originBefore).as("origin block fetches").isEqualTo(distinct);
      assertThat(f.proxy.metrics().count(ProxyMetrics.ORIGIN_BLOCK_FETCHES)).isEqualTo(distinct);
      System.out.printf("single flight: %d streams, %d block requests, %d origin fetches, %d coalesced, %d hits%n",
          done.size(), done.size() * IDS_PER_STREAM, f.originBlocksSent() - originBefore,
          f.proxy.metrics().count(ProxyMetrics.SINGLE_FLIGHT_COALESCED), f.proxy.metrics().count(ProxyMetrics.CACHE_HITS));
      conns.forEach(RpcClient::close);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
