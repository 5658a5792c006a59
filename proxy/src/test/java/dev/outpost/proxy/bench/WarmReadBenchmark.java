package dev.outpost.proxy.bench;

import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.core.BlockId;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.cli.OriginMain;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.origin.server.OriginServer;
import dev.outpost.origin.server.VolumeStore;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.Reply;
import dev.outpost.proxy.config.ProxyConfigLoader;
import dev.outpost.proxy.server.ProxyServer;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 5 figures (not a test): one file written once, then read fully through the client library straight from a
 * local origin, through the proxy cold, and through the proxy warm; the same blocks streamed with raw GET_BLOCKS
 * (no decryption) from origin and warm proxy; and a raw loopback socket copy of the same byte count. Origin, proxy
 * and clients share one JVM and the machine's cores, as on a small branch box. Prints MB/s and ratios of one run.
 *
 * <p>Run (from the repository root; {@code -Doutpost.bench.fileMiB=256}, {@code -Doutpost.bench.rounds=3} by
 * default). Copy the class directories first if other builds share the checkout, since their builds rewrite
 * {@code target/}:
 *
 * <pre>
 * mvn -B -q -o -pl proxy test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java $(sed -n 's/^outpost.jvm.flags=//p' jvm.properties) -Xmx2g \
 *   -cp proxy/target/test-classes:proxy/target/classes:$(cat /tmp/cp.txt) dev.outpost.proxy.bench.WarmReadBenchmark
 * </pre>
 */
public final class WarmReadBenchmark {
  private static final String VOLUME = "bench";
  /** Rounds of each warm measurement ({@code -Doutpost.bench.rounds}); the median is reported. */
  private static final int WARM_ROUNDS = Integer.getInteger("outpost.bench.rounds", 3);

  private WarmReadBenchmark() {}

  private record Row(String what, long bytes, double seconds) {
    double mbPerSec() {
      return bytes / seconds / 1e6;
    }
  }

  public static void main(String[] args) throws Exception {
    long fileBytes = Long.getLong("outpost.bench.fileMiB", 256) << 20;
    Path dir = Files.createTempDirectory("warm-read-bench");
    Path data = dir.resolve("data");
    Path keyFile = dir.resolve("bench.volume-key");
    Path tokenFile = dir.resolve("admin.token");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = OriginMain.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), "init", "--data", data.toString(), "--volume", VOLUME,
        "--key-out", keyFile.toString(), "--token-out", tokenFile.toString());
    if (code != 0) {
      throw new IllegalStateException("origin init failed: " + err.toString(StandardCharsets.UTF_8));
    }
    String token = Files.readString(tokenFile).strip();
    Files.writeString(dir.resolve("proxy.token"), token);
    Path originYaml = dir.resolve("origin.yaml");
    Files.writeString(originYaml, "dataDir: \"" + data + "\"\nlisten:\n  host: 127.0.0.1\n  port: 0\n"
        + "tls:\n  enabled: false\ngc:\n  intervalSeconds: 0\n");
    OriginConfig originConfig = OriginConfigLoader.load(originYaml);
    List<Row> rows = new ArrayList<>();
    try (OriginServer origin = OriginServer.start(originConfig, VolumeStore.open(originConfig, Clock.systemUTC()),
        Clock.systemUTC())) {
      Path proxyYaml = dir.resolve("proxy.yaml");
      Files.writeString(proxyYaml, "volume: " + VOLUME + "\nlisten:\n  host: 127.0.0.1\n  port: 0\n"
          + "origin:\n  host: 127.0.0.1\n  port: " + origin.address().getPort() + "\n"
          + "tokenFile: proxy.token\n"
          + "originPublicKeyFile: \"" + new OriginDataDir(data).signingPublicKey() + "\"\n"
          + "cache:\n  dir: cache\n  maxBytes: " + Math.max(1L << 30, fileBytes * 2) + "\n");
      try (ProxyServer proxy = ProxyServer.start(ProxyConfigLoader.load(proxyYaml), Clock.systemUTC())) {
        String direct = "127.0.0.1:" + origin.address().getPort();
        String viaProxy = "127.0.0.1:" + proxy.address().getPort();
        try (OutpostClient writer = OutpostClient.connect(ClientConfig.of(direct, token, keyFile))) {
          writer.write("/big.bin", new PseudoRandom(fileBytes, 42), WriteOptions.DEFAULTS);
        }
        proxy.subscription().awaitApplied(origin.volume().currentSeq()).get(60, TimeUnit.SECONDS);

        read(direct, token, keyFile); // warm-up: JIT, origin page cache
        Row cold = read("client read, via proxy, cold", viaProxy, token, keyFile);
        proxy.cache().flushed().join();
        // Direct and warm rounds interleaved, so load from anything else on the machine hits both alike.
        List<Row> directRuns = new ArrayList<>();
        List<Row> warmRuns = new ArrayList<>();
        for (int i = 0; i < WARM_ROUNDS; i++) {
          directRuns.add(read("client read, direct from origin", direct, token, keyFile));
          warmRuns.add(read("client read, via proxy, warm", viaProxy, token, keyFile));
        }
        rows.add(medianOf("client read, direct from origin", directRuns));
        rows.add(cold);
        rows.add(medianOf("client read, via proxy, warm", warmRuns));

        List<BlockId> ids = new ArrayList<>();
        proxy.cache().blockStore().forEachId((id, length) -> ids.add(id));
        EventLoopGroup group = Transports.newGroup("bench-raw", 1);
        try {
          getBlocks(group, origin.address(), token, ids); // warm-up
          List<Row> rawDirect = new ArrayList<>();
          List<Row> rawProxy = new ArrayList<>();
          for (int i = 0; i < WARM_ROUNDS; i++) {
            rawDirect.add(timedGetBlocks("GET_BLOCKS stream, direct from origin", group, origin.address(), token, ids));
            rawProxy.add(timedGetBlocks("GET_BLOCKS stream, via proxy, warm", group, proxy.address(), token, ids));
          }
          rows.add(medianOf("GET_BLOCKS stream, direct from origin", rawDirect));
          rows.add(medianOf("GET_BLOCKS stream, via proxy, warm", rawProxy));
        } finally {
          group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
      }
    }
    rows.add(socketCopy(fileBytes));
    print(rows, fileBytes);
  }

  private static Row medianOf(String what, List<Row> runs) {
    List<Row> sorted = new ArrayList<>(runs);
    sorted.sort((a, b) -> Double.compare(a.seconds(), b.seconds()));
    Row m = sorted.get(sorted.size() / 2);
    System.out.printf("  %s: %s MB/s%n", what,
        Arrays.toString(runs.stream().mapToLong(r -> Math.round(r.mbPerSec())).toArray()));
    return new Row(what + " (median of " + runs.size() + ")", m.bytes(), m.seconds());
  }

  private static Row read(String server, String token, Path keyFile) throws IOException {
    return read("warm-up", server, token, keyFile);
  }

  /** One full read with a fresh client (no client-side cache carried over). */
  private static Row read(String what, String server, String token, Path keyFile) throws IOException {
    try (OutpostClient c = OutpostClient.connect(ClientConfig.of(server, token, keyFile));
        InputStream in = c.openRead("/big.bin")) {
      byte[] buf = new byte[1 << 20];
      long bytes = 0;
      long t = System.nanoTime();
      for (int n; (n = in.read(buf)) > 0; ) {
        bytes += n;
      }
      return new Row(what, bytes, (System.nanoTime() - t) / 1e9);
    }
  }

  private static Row timedGetBlocks(String what, EventLoopGroup group, InetSocketAddress server, String token,
      List<BlockId> ids) throws Exception {
    long t = System.nanoTime();
    long bytes = getBlocks(group, server, token, ids);
    return new Row(what, bytes, (System.nanoTime() - t) / 1e9);
  }

  /** Every id once, in requests of 64 ids with 4 requests in flight (what the client's read-ahead keeps going). */
  private static long getBlocks(EventLoopGroup group, InetSocketAddress server, String token, List<BlockId> ids)
      throws Exception {
    RpcClient c = RpcClient.connect(group, server, RpcClient.Options.plain("bench", token));
    try {
      AtomicLong bytes = new AtomicLong();
      java.util.ArrayDeque<CompletableFuture<Void>> inFlight = new java.util.ArrayDeque<>();
      for (int from = 0; from < ids.size(); from += 64) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        c.stream(0, new GetBlocks(ids.subList(from, Math.min(ids.size(), from + 64))), new ReplyStream() {
          @Override
          public void onReply(Reply reply, boolean last) {
            if (reply instanceof BlockData d) {
              bytes.addAndGet(d.cipher().readableBytes());
            }
            ReferenceCountUtil.release(reply);
            if (last) {
              done.complete(null);
            }
          }

          @Override
          public void onError(OutpostException error) {
            done.completeExceptionally(error);
          }
        });
        inFlight.add(done);
        if (inFlight.size() >= 4) {
          inFlight.removeFirst().get(60, TimeUnit.SECONDS);
        }
      }
      for (CompletableFuture<Void> f : inFlight) {
        f.get(60, TimeUnit.SECONDS);
      }
      return bytes.get();
    } finally {
      c.close();
    }
  }

  /** The ceiling: {@code bytes} through a plain loopback TCP connection, 64 KiB writes, nothing else done. */
  private static Row socketCopy(long bytes) throws Exception {
    List<Row> runs = new ArrayList<>();
    for (int i = 0; i < WARM_ROUNDS; i++) {
      try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        Thread sender = Thread.ofPlatform().start(() -> {
          try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[64 << 10];
            for (long left = bytes; left > 0; left -= buf.length) {
              out.write(buf, 0, (int) Math.min(buf.length, left));
            }
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
            InputStream in = s.getInputStream()) {
          byte[] buf = new byte[1 << 20];
          long got = 0;
          long t = System.nanoTime();
          for (int n; (n = in.read(buf)) > 0; ) {
            got += n;
          }
          runs.add(new Row("raw loopback socket copy", got, (System.nanoTime() - t) / 1e9));
        }
        sender.join();
      }
    }
    return medianOf("raw loopback socket copy", runs);
  }

  private static void print(List<Row> rows, long fileBytes) {
    double direct = rows.get(0).mbPerSec();
    double rawOrigin = rows.stream().filter(r -> r.what().startsWith("GET_BLOCKS stream, direct")).findFirst()
        .orElseThrow().mbPerSec();
    double socket = rows.getLast().mbPerSec();
    System.out.printf("%nfile %d MiB, %d cores; one run%n", fileBytes >> 20, Runtime.getRuntime().availableProcessors());
    System.out.printf("| %-52s | %8s | %9s | %12s | %9s |%n", "path", "MB/s", "/ direct", "/ raw origin", "/ socket");
    System.out.printf("|%s|%s|%s|%s|%s|%n", "-".repeat(54), "-".repeat(10), "-".repeat(11), "-".repeat(14),
        "-".repeat(11));
    for (Row r : rows) {
      System.out.printf("| %-52s | %8.0f | %9.2f | %12.2f | %9.2f |%n", r.what(), r.mbPerSec(), r.mbPerSec() / direct,
          r.mbPerSec() / rawOrigin, r.mbPerSec() / socket);
    }
  }

  /** {@code size} incompressible bytes without holding them in memory. */
  private static final class PseudoRandom extends InputStream {
    private final SplittableRandom random;
    private long left;

    PseudoRandom(long size, long seed) {
      this.left = size;
      this.random = new SplittableRandom(seed);
    }

    @Override
    public int read() {
      if (left == 0) {
        return -1;
      }
      left--;
      return random.nextInt(256);
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      for (int i = 0; i < n; i += 8) {
        long v = random.nextLong();
        for (int k = 0; k < 8 && i + k < n; k++) {
          b[off + i + k] = (byte) (v >>> (8 * k));
        }
      }
      left -= n;
      return n;
    }
  }
}
