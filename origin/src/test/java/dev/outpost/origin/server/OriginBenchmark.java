package dev.outpost.origin.server;

import static dev.outpost.origin.server.OriginFixture.block;
import static dev.outpost.origin.server.OriginFixture.call;
import static dev.outpost.origin.server.OriginFixture.upload;

import dev.outpost.core.BlockId;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken.Mode;
import dev.outpost.origin.server.OriginFixture.TestBlock;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.Reply;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcClient;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Loopback figures for the README (not a test): getattr round trip, small-file commits per second, PUT_BLOCK
 * throughput of new 64 KiB blocks, and GET_BLOCKS throughput of 64 KiB blocks from a warm store. Run as described in origin/README.md.
 */
public final class OriginBenchmark {
  private OriginBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("origin-bench");
    try (OriginFixture origin = OriginFixture.start(dir)) {
      RpcClient c = origin.connect(Mode.RW);
      getattr(c);
      commits(c);
      putBlocks(c, origin);
      getBlocks(c);
    }
  }

  private static void getattr(RpcClient c) {
    for (int i = 0; i < 2000; i++) {
      call(c, new GetAttr("", "/"));
    }
    int n = 20_000;
    long[] nanos = new long[n];
    for (int i = 0; i < n; i++) {
      long t = System.nanoTime();
      call(c, new GetAttr("", "/"));
      nanos[i] = System.nanoTime() - t;
    }
    Arrays.sort(nanos);
    System.out.printf("getattr round trip: p50 %.1f us, p99 %.1f us (%d calls, one at a time)%n",
        nanos[n / 2] / 1e3, nanos[(int) (n * 0.99)] / 1e3, n);
  }

  private static void commits(RpcClient c) throws Exception {
    Random random = new Random(1);
    List<TestBlock> blocks = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      TestBlock b = block(random, 4096);
      upload(c, b);
      blocks.add(b);
    }
    int n = 1000;
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) {
      TestBlock b = blocks.get(i % blocks.size());
      call(c, new Commit("/seq-" + i, 0, 0, Optional.of(b.root()), 4096, i, 0));
    }
    double seqPerSec = n / ((System.nanoTime() - t) / 1e9);
    t = System.nanoTime();
    List<CompletableFuture<Reply>> inFlight = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TestBlock b = blocks.get(i % blocks.size());
      inFlight.add(c.call(new Commit("/pip-" + i, 0, 0, Optional.of(b.root()), 4096, i, 0)));
      if (inFlight.size() >= 32) {
        inFlight.removeFirst().get(30, TimeUnit.SECONDS);
      }
    }
    for (CompletableFuture<Reply> f : inFlight) {
      f.get(30, TimeUnit.SECONDS);
    }
    double pipPerSec = n / ((System.nanoTime() - t) / 1e9);
    System.out.printf("commits of new 4 KiB files (blocks already uploaded, each commit fsynced): "
        + "%.0f/s one at a time, %.0f/s with 32 in flight%n", seqPerSec, pipPerSec);
  }

  /** New 64 KiB blocks, 64 PUT_BLOCKs in flight; each is acknowledged only once it is durable. */
  private static void putBlocks(RpcClient c, OriginFixture origin) throws Exception {
    long stored0 = origin.server.metrics().count(dev.outpost.origin.metrics.OriginMetrics.BLOCKS_STORED);
    long batches0 = origin.server.metrics().count(dev.outpost.origin.metrics.OriginMetrics.BLOCK_BATCHES);
    Random random = new Random(4);
    int n = 4096;
    int window = 64;
    List<TestBlock> blocks = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      blocks.add(block(random, 64 * 1024));
    }
    putAll(c, blocks.subList(0, 256), window); // warm up
    long t = System.nanoTime();
    putAll(c, blocks.subList(256, n), window);
    double secs = (System.nanoTime() - t) / 1e9;
    long bytes = (long) (n - 256) * 64 * 1024;
    long stored = origin.server.metrics().count(dev.outpost.origin.metrics.OriginMetrics.BLOCKS_STORED) - stored0;
    long batches = origin.server.metrics().count(dev.outpost.origin.metrics.OriginMetrics.BLOCK_BATCHES) - batches0;
    System.out.printf("PUT_BLOCK, new 64 KiB blocks, %d in flight: %.0f MiB/s, %.0f blocks/s (%d MiB in %.2f s; "
        + "%.1f blocks per durable batch)%n", window, bytes / secs / (1 << 20), (n - 256) / secs, bytes >> 20, secs,
        stored / (double) Math.max(1, batches));
  }

  private static void putAll(RpcClient c, List<TestBlock> blocks, int window) throws Exception {
    java.util.ArrayDeque<CompletableFuture<Reply>> inFlight = new java.util.ArrayDeque<>();
    for (TestBlock b : blocks) {
      inFlight.add(c.call(new dev.outpost.protocol.PutBlock(b.id(), io.netty.buffer.Unpooled.wrappedBuffer(b.bytes()))));
      if (inFlight.size() >= window) {
        inFlight.removeFirst().get(30, TimeUnit.SECONDS);
      }
    }
    for (CompletableFuture<Reply> f : inFlight) {
      f.get(30, TimeUnit.SECONDS);
    }
  }

  private static void getBlocks(RpcClient c) throws Exception {
    Random random = new Random(2);
    List<BlockId> ids = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      TestBlock b = block(random, 64 * 1024);
      upload(c, b);
      ids.add(b.id());
    }
    fetch(c, ids, 4); // warm up
    int rounds = 16;
    long t = System.nanoTime();
    long bytes = 0;
    for (int r = 0; r < rounds; r++) {
      bytes += fetch(c, ids, 4);
    }
    double secs = (System.nanoTime() - t) / 1e9;
    System.out.printf("GET_BLOCKS, 64 KiB blocks from a warm store, 4 requests of 64 ids in flight: %.0f MiB/s "
        + "(%d MiB in %.2f s)%n", bytes / secs / (1 << 20), bytes >> 20, secs);
  }

  /** Fetches all ids as {@code streams} concurrent GET_BLOCKS requests; returns the bytes received. */
  private static long fetch(RpcClient c, List<BlockId> ids, int streams) throws Exception {
    AtomicLong bytes = new AtomicLong();
    CountDownLatch done = new CountDownLatch(streams);
    int per = ids.size() / streams;
    for (int s = 0; s < streams; s++) {
      c.stream(0, new GetBlocks(ids.subList(s * per, (s + 1) * per)), new ReplyStream() {
        @Override
        public void onReply(Reply reply, boolean last) {
          if (reply instanceof BlockData d) {
            bytes.addAndGet(d.cipher().readableBytes());
          }
          ReferenceCountUtil.release(reply);
          if (last) {
            done.countDown();
          }
        }

        @Override
        public void onError(OutpostException error) {
          done.countDown();
        }
      });
    }
    if (!done.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("GET_BLOCKS did not finish");
    }
    return bytes.get();
  }
}
