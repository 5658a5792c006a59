package dev.outpost.origin.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.RootRef;
import dev.outpost.crypto.AccessToken;
import dev.outpost.origin.cli.CliRunner;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.PutBlock;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.Tls;
import dev.outpost.transport.Transports;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A real origin on 127.0.0.1 over a real LMDB volume in a temporary directory, set up by the CLI's
 * {@code init}, with a hand-moved clock. Clients are transport's RpcClient.
 */
public final class OriginFixture implements AutoCloseable {
  public static final String VOLUME = "testvol";
  public static final Instant START = Instant.parse("2026-11-23T10:00:00Z");

  public final Path dir;
  public final Path data;
  public final MutableClock clock = new MutableClock(START);
  public final EventLoopGroup group = Transports.newGroup("test-client", 2);
  private final String extraYaml;
  private final boolean tls;
  private final List<RpcClient> clients = new ArrayList<>();
  public OriginServer server;
  public OriginConfig config;

  private OriginFixture(Path dir, String extraYaml, boolean tls) {
    this.dir = dir;
    this.data = dir.resolve("data");
    this.extraYaml = extraYaml;
    this.tls = tls;
  }

  public static OriginFixture start(Path dir) {
    return start(dir, "", false);
  }

  /** @param extraYaml more config keys, e.g. "journal:\n  retainEvents: 3\n" */
  public static OriginFixture start(Path dir, String extraYaml, boolean tls) {
    OriginFixture f = new OriginFixture(dir, extraYaml, tls);
    CliRunner.Result r = CliRunner.run(dir, f.clock, "init", "--data", f.data.toString(), "--volume", VOLUME,
        "--key-out", dir.resolve("testvol.volume-key").toString(), "--token-out", dir.resolve("admin.token").toString());
    assertThat(r.code()).as(r.err()).isZero();
    f.startServer();
    return f;
  }

  public Path configFile() {
    return dir.resolve("origin-test.yaml");
  }

  private void startServer() {
    try {
      Files.writeString(configFile(), "dataDir: " + OriginConfigLoaderAccess.quote(data.toString()) + "\n"
          + "listen:\n  host: 127.0.0.1\n  port: 0\n"
          + "tls:\n  enabled: " + tls + "\n"
          + "gc:\n  intervalSeconds: 0\n"
          + extraYaml);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    config = OriginConfigLoader.load(configFile());
    server = OriginServer.start(config, VolumeStore.open(config, clock), clock);
  }

  /** Stops the server (clients see the connection close) and starts it again on the same data. */
  public void restart() {
    closeClients();
    server.close();
    startServer();
  }

  public InetSocketAddress address() {
    return server.address();
  }

  public String token(AccessToken.Mode mode, String subject, Duration ttl) {
    Instant now = clock.instant();
    return new OriginDataDir(data).signer().sign(new AccessToken(VOLUME, mode, subject, now, now.plus(ttl)));
  }

  public RpcClient connect(AccessToken.Mode mode) {
    return connect(token(mode, "user-" + mode.name().toLowerCase(java.util.Locale.ROOT), Duration.ofHours(1)));
  }

  public RpcClient connect(String token) {
    RpcClient.Options o = RpcClient.Options.plain("test", token);
    if (tls) {
      OriginDataDir d = new OriginDataDir(data);
      o = o.withTls(Tls.client(d.caCert(), Optional.of(new Tls.KeyMaterial(d.caCert(), d.proxyCert(), d.proxyKey()))));
    }
    RpcClient c = RpcClient.connect(group, address(), o);
    clients.add(c);
    return c;
  }

  /** Calls and waits (10 s at most); the server's typed error is thrown as it arrives. */
  public static Reply call(RpcClient c, Request r) {
    try {
      return c.call(r).get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw dev.outpost.transport.Errors.unwrap(e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A block of {@code size} bytes shaped like a raw data block (random body): its id and bytes. */
  public record TestBlock(BlockId id, byte[] bytes) {
    public RootRef root() {
      return new RootRef(id, 0, bytes.length, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    }
  }

  public static TestBlock block(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    b[0] = dev.outpost.crypto.BlockFormat.DATA_RAW; // the store checks the header byte of what it is given
    try {
      return new TestBlock(BlockId.of(MessageDigest.getInstance("SHA-256").digest(b)), b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  public static void upload(RpcClient c, TestBlock b) {
    assertThat(call(c, new PutBlock(b.id(), Unpooled.wrappedBuffer(b.bytes())))).isInstanceOf(Ok.class);
  }

  private void closeClients() {
    clients.forEach(RpcClient::close);
    clients.clear();
  }

  @Override
  public void close() {
    closeClients();
    if (server != null) {
      server.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Reaches the loader's YAML quoting from tests. */
  static final class OriginConfigLoaderAccess {
    static String quote(String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
  }
}
