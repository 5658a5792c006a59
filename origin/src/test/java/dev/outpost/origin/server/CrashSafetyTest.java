package dev.outpost.origin.server;

import static dev.outpost.origin.server.OriginFixture.block;
import static dev.outpost.origin.server.OriginFixture.call;
import static dev.outpost.origin.server.OriginFixture.upload;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.AccessToken;
import dev.outpost.origin.cli.CliRunner;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.server.OriginFixture.TestBlock;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Reply;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.ServerJvm;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The origin as a separate JVM, killed with SIGKILL in the middle of a stream of commits or mutations. */
class CrashSafetyTest {
  @TempDir
  Path tmp;

  @Test
  void everyAcknowledgedCommitSurvivesAKillAndFsckIsClean() throws Exception {
    Path data = tmp.resolve("data");
    CliRunner.Result init = CliRunner.run(tmp, Clock.systemUTC(), "init", "--data", data.toString(), "--volume",
        OriginFixture.VOLUME, "--key-out", tmp.resolve("k").toString(), "--token-out", tmp.resolve("t").toString());
    assertThat(init.code()).as(init.err()).isZero();
    Path config = tmp.resolve("crash.yaml");
    Files.writeString(config, "dataDir: \"" + data + "\"\nlisten:\n  host: 127.0.0.1\n  port: 0\ntls:\n  enabled: false\n"
        + "gc:\n  intervalSeconds: 0\n");
    Instant now = Instant.now();
    String token = new OriginDataDir(data).signer().sign(new AccessToken(OriginFixture.VOLUME, AccessToken.Mode.RW,
        "crash", now, now.plus(Duration.ofHours(1))));

    ServerJvm origin = ServerJvm.start("dev.outpost.origin.cli.OriginMain", List.of(),
        List.of("serve", "--config", config.toString()), config.resolveSibling("origin.log"));
    EventLoopGroup group = Transports.newGroup("crash-client", 1);
    Map<String, FileAttr> acknowledged = new ConcurrentHashMap<>();
    java.util.Set<dev.outpost.core.BlockId> storedBlocks = ConcurrentHashMap.newKeySet();
    try {
      int port = origin.awaitListening(Duration.ofSeconds(60)).getPort();
      RpcClient c = RpcClient.connect(group, new InetSocketAddress("127.0.0.1", port), RpcClient.Options.plain("crash", token));
      TestBlock b = block(new Random(3), 512);
      upload(c, b);
      List<CompletableFuture<Reply>> inFlight = new ArrayList<>();
      Random blockBytes = new Random(4);
      for (int i = 0; i < 400; i++) {
        // Uploads in flight with the commits: an acknowledged PUT_BLOCK must be durable too (group commit).
        TestBlock fresh = block(blockBytes, 1024);
        CompletableFuture<Reply> put = c.call(new dev.outpost.protocol.PutBlock(fresh.id(),
            io.netty.buffer.Unpooled.wrappedBuffer(fresh.bytes())));
        put.thenAccept(r -> storedBlocks.add(fresh.id()));
        inFlight.add(put);
        String path = "/file-" + i;
        CompletableFuture<Reply> f = c.call(new Commit(path, 0, 0, Optional.of(b.root()), 512, i, 0));
        f.thenAccept(r -> acknowledged.put(path, ((AttrReply) r).attr()));
        inFlight.add(f);
        if (i == 150) {
          // Kill once some commits are acknowledged while others are still queued or being written.
          inFlight.get(2 * 100 + 1).get(30, TimeUnit.SECONDS); // commit 100
          origin.kill();
        }
      }
      for (CompletableFuture<Reply> f : inFlight) {
        try {
          f.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException expected) {
          // lost with the process: must not have been acknowledged
        }
      }
      assertThat(origin.awaitExit(Duration.ofSeconds(30))).isTrue();
      c.close();
    } finally {
      origin.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    assertThat(acknowledged.size()).isBetween(101, 399);

    CliRunner.Result fsck = CliRunner.run(tmp, Clock.systemUTC(), "fsck", "--data", data.toString());
    assertThat(fsck.code()).as(fsck.out() + fsck.err()).isZero();
    assertThat(fsck.out()).contains("healthy");

    OriginConfig cfg = OriginConfigLoader.load(config);
    try (OriginServer restarted = OriginServer.start(cfg, VolumeStore.open(cfg, Clock.systemUTC()), Clock.systemUTC());
        OriginFixtureClient client = new OriginFixtureClient(restarted.address(), token)) {
      for (Map.Entry<String, FileAttr> e : acknowledged.entrySet()) {
        FileAttr now2 = ((AttrReply) call(client.client, new GetAttr("", e.getKey()))).attr();
        assertThat(now2.version()).as(e.getKey()).isEqualTo(e.getValue().version());
      }
      assertThat(storedBlocks).isNotEmpty();
      assertThat(((dev.outpost.protocol.MissingBlocks) call(client.client,
          new dev.outpost.protocol.HasBlocks(List.copyOf(storedBlocks)))).missing()).as("acknowledged uploads").isEmpty();
    }
  }

  /**
   * Creates and commits with operation ids, pipelined, the origin killed right after an answer arrived. After
   * the restart every operation is sent again with its id: the acknowledged ones are answered with their first
   * reply, the rest are applied now or answered from their record (applied, answer lost), and every file was
   * created exactly once (a second application would fail ALREADY_EXISTS or CONFLICT, or add an event).
   */
  @Test
  void operationsAppliedBeforeAKillAreStillRecognisedAfterTheRestart() throws Exception {
    Path data = tmp.resolve("data");
    CliRunner.Result init = CliRunner.run(tmp, Clock.systemUTC(), "init", "--data", data.toString(), "--volume",
        OriginFixture.VOLUME, "--key-out", tmp.resolve("k").toString(), "--token-out", tmp.resolve("t").toString());
    assertThat(init.code()).as(init.err()).isZero();
    Path config = tmp.resolve("crash.yaml");
    Files.writeString(config, "dataDir: \"" + data + "\"\nlisten:\n  host: 127.0.0.1\n  port: 0\ntls:\n  enabled: false\n"
        + "gc:\n  intervalSeconds: 0\n");
    Instant now = Instant.now();
    String token = new OriginDataDir(data).signer().sign(new AccessToken(OriginFixture.VOLUME, AccessToken.Mode.RW,
        "crash", now, now.plus(Duration.ofHours(1))));
    long originator = new Random().nextLong() | 1;
    int n = 300;
    List<Mutation> ops = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      OperationId op = new OperationId(originator, i + 1);
      ops.add(i % 2 == 0 ? new Create("/c-" + i, 0644, true, 0, op)
          : new Commit("/m-" + i, 0, 0, Optional.empty(), 0, i, 0, op));
    }

    ServerJvm origin = ServerJvm.start("dev.outpost.origin.cli.OriginMain", List.of(),
        List.of("serve", "--config", config.toString()), config.resolveSibling("origin.log"));
    EventLoopGroup group = Transports.newGroup("crash-client", 1);
    Map<Integer, FileAttr> acknowledged = new ConcurrentHashMap<>();
    try {
      int port = origin.awaitListening(Duration.ofSeconds(60)).getPort();
      RpcClient c = RpcClient.connect(group, new InetSocketAddress("127.0.0.1", port), RpcClient.Options.plain("crash", token));
      CompletableFuture<Void> killed = new CompletableFuture<>();
      List<CompletableFuture<Reply>> inFlight = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        CompletableFuture<Reply> f = c.call(ops.get(i));
        f.thenAccept(r -> {
          acknowledged.put(index, ((AttrReply) r).attr());
          if (index == 60) {
            // Killed the moment this answer arrived: later operations are queued, being written or answered.
            origin.kill();
            killed.complete(null);
          }
        });
        inFlight.add(f);
      }
      killed.get(60, TimeUnit.SECONDS);
      for (CompletableFuture<Reply> f : inFlight) {
        try {
          f.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException expected) {
          // lost with the process
        }
      }
      assertThat(origin.awaitExit(Duration.ofSeconds(30))).isTrue();
      c.close();
    } finally {
      origin.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    assertThat(acknowledged).containsKey(60).hasSizeLessThan(n);

    OriginConfig cfg = OriginConfigLoader.load(config);
    try (OriginServer restarted = OriginServer.start(cfg, VolumeStore.open(cfg, Clock.systemUTC()), Clock.systemUTC());
        OriginFixtureClient client = new OriginFixtureClient(restarted.address(), token)) {
      long applied = restarted.volume().currentSeq();
      for (int i = 0; i < n; i++) {
        FileAttr answer = ((AttrReply) call(client.client, ops.get(i))).attr();
        if (acknowledged.containsKey(i)) {
          assertThat(answer).as("op %d: its first reply", i).isEqualTo(acknowledged.get(i));
        }
        assertThat(answer.version()).as("op %d", i).isEqualTo(1);
      }
      assertThat(restarted.metrics().count(dev.outpost.origin.metrics.OriginMetrics.DUPLICATES))
          .as("answered from the record: every one applied before the kill").isEqualTo(applied)
          .isGreaterThanOrEqualTo(acknowledged.size());
      assertThat(restarted.volume().journalAfter(0, "/", 1000)).as("one CREATED per file").hasSize(n);
    }
    CliRunner.Result fsck = CliRunner.run(tmp, Clock.systemUTC(), "fsck", "--data", data.toString());
    assertThat(fsck.code()).as(fsck.out() + fsck.err()).isZero();
  }

  private static final class OriginFixtureClient implements AutoCloseable {
    final EventLoopGroup group = Transports.newGroup("crash-check", 1);
    final RpcClient client;

    OriginFixtureClient(InetSocketAddress address, String token) {
      client = RpcClient.connect(group, address, RpcClient.Options.plain("check", token));
    }

    @Override
    public void close() {
      client.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
