package dev.outpost.origin.server;

import static dev.outpost.origin.server.OriginFixture.block;
import static dev.outpost.origin.server.OriginFixture.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken.Mode;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.origin.server.OriginFixture.TestBlock;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.HasBlocks;
import dev.outpost.protocol.MissingBlocks;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.PutBlock;
import dev.outpost.protocol.Reply;
import dev.outpost.transport.Errors;
import dev.outpost.transport.RpcClient;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit of uploads over the wire: many PUT_BLOCKs in flight, a corrupt one among them, a restart. */
class UploadBatchingTest {
  @TempDir
  Path tmp;
  OriginFixture origin;
  final Random random = new Random(21);

  @BeforeEach
  void start() {
    origin = OriginFixture.start(tmp);
  }

  @AfterEach
  void stop() {
    origin.close();
  }

  @Test
  void manyConcurrentUploadsAreAllAcknowledgedAndPresentAfterARestart() throws Exception {
    RpcClient a = origin.connect(Mode.RW);
    RpcClient b = origin.connect(Mode.RW);
    List<TestBlock> blocks = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      blocks.add(block(random, 512 + random.nextInt(16 * 1024)));
    }
    // A corrupt upload (bytes of one block under another's id) in the middle of the stream.
    TestBlock victim = block(random, 4096);
    int corruptAt = 300;
    List<CompletableFuture<Reply>> inFlight = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      RpcClient c = i % 2 == 0 ? a : b;
      if (i == corruptAt) {
        inFlight.add(c.call(new PutBlock(victim.id(), Unpooled.wrappedBuffer(blocks.get(0).bytes()))));
      }
      TestBlock t = blocks.get(i);
      inFlight.add(c.call(new PutBlock(t.id(), Unpooled.wrappedBuffer(t.bytes()))));
    }
    int ok = 0;
    List<ErrorCode> failures = new ArrayList<>();
    for (CompletableFuture<Reply> f : inFlight) {
      try {
        assertThat(f.get(30, TimeUnit.SECONDS)).isInstanceOf(Ok.class);
        ok++;
      } catch (ExecutionException e) {
        failures.add(Errors.unwrap(e).code());
      }
    }
    assertThat(ok).isEqualTo(blocks.size());
    assertThat(failures).containsExactly(ErrorCode.BLOCK_CORRUPT);
    assertThat(origin.server.metrics().count(OriginMetrics.BLOCKS_STORED)).isEqualTo(blocks.size());
    assertThat(origin.server.metrics().count(OriginMetrics.BLOCK_BATCHES)).isBetween(1L, (long) blocks.size());

    origin.restart();
    RpcClient c = origin.connect(Mode.RO);
    List<BlockId> ids = new ArrayList<>(blocks.stream().map(TestBlock::id).toList());
    ids.add(victim.id());
    assertThat(((MissingBlocks) call(c, new HasBlocks(ids))).missing()).containsExactly(victim.id());
    TestBlock sample = blocks.get(corruptAt);
    Reply got = call(c, new GetBlocks(List.of(sample.id())));
    try {
      assertThat(ByteBufUtil.getBytes(((BlockData) got).cipher())).isEqualTo(sample.bytes());
    } finally {
      ReferenceCountUtil.release(got);
    }
  }

  @Test
  void hasBlocksTouchesArePersistedByTheNextBatch() {
    RpcClient c = origin.connect(origin.token(Mode.RW, "importer", java.time.Duration.ofDays(30)));
    TestBlock kept = block(random, 900);
    TestBlock dropped = block(random, 900);
    OriginFixture.upload(c, kept);
    OriginFixture.upload(c, dropped);
    long graceMillis = origin.config.gc().graceSeconds() * 1000;
    origin.clock.advance(java.time.Duration.ofMillis(graceMillis + 60_000));
    assertThat(((MissingBlocks) call(c, new HasBlocks(List.of(kept.id())))).missing()).isEmpty();
    // GC flushes the queued touch before sweeping: the block just reported present survives, the other does not.
    assertThat(origin.server.collectGarbage().blocksFreed()).isEqualTo(1);
    assertThat(((MissingBlocks) call(c, new HasBlocks(List.of(kept.id(), dropped.id())))).missing())
        .containsExactly(dropped.id());
  }

  @Test
  void uploadsAnsweredWhileShuttingDownAreNeverLeft() throws Exception {
    RpcClient c = origin.connect(Mode.RW);
    List<CompletableFuture<Reply>> inFlight = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      TestBlock t = block(random, 2048);
      inFlight.add(c.call(new PutBlock(t.id(), Unpooled.wrappedBuffer(t.bytes()))));
    }
    origin.server.close();
    for (CompletableFuture<Reply> f : inFlight) {
      try {
        f.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(OutpostException.class);
      }
    }
    origin.server = null;
  }
}
