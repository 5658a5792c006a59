package dev.outpost.origin.embedded;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken;
import dev.outpost.origin.cli.OriginMain;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.origin.server.OriginServer;
import dev.outpost.origin.server.VolumeStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * An origin in this JVM on 127.0.0.1 with embedded defaults (plain text, no periodic GC), set up by the
 * origin's own {@code init} exactly as a user would: for tests, benchmarks and tools that need a real server.
 * {@link #stop()} and {@link #start()} restart it on the same port and data, as an administrator would (while it
 * is stopped its data directory is free for offline tools).
 *
 * <p>Warning: the volume key is written next to the data ({@link #keyFile()}) because a test plays the client
 * too; a real origin never keeps it.
 */
public final class EmbeddedOrigin implements AutoCloseable {
  private final String volume;
  private final Path dataDir;
  private final Path keyFile;
  private final String adminToken;
  private final Path dir;
  private final int port;
  /** Null while stopped. */
  private OriginServer server;

  private EmbeddedOrigin(String volume, Path dataDir, Path keyFile, String adminToken, Path dir, OriginServer server) {
    this.volume = volume;
    this.dataDir = dataDir;
    this.keyFile = keyFile;
    this.adminToken = adminToken;
    this.dir = dir;
    this.server = server;
    this.port = server.address().getPort();
  }

  /**
   * Initialises volume {@code volume} under {@code dir} (data in dir/data, the key and admin token beside it)
   * and serves it on a free loopback port.
   *
   * @throws OutpostException if init fails (e.g. {@code dir/data} is not empty) or the server cannot start
   */
  public static EmbeddedOrigin start(Path dir, String volume) {
    Path data = dir.resolve("data");
    Path keyFile = dir.resolve(volume + ".volume-key");
    Path tokenFile = dir.resolve("admin.token");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = OriginMain.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), "init", "--data", data.toString(), "--volume", volume,
        "--key-out", keyFile.toString(), "--token-out", tokenFile.toString());
    if (code != 0) {
      throw new OutpostException(ErrorCode.INTERNAL, "origin init failed: " + err.toString(StandardCharsets.UTF_8).strip());
    }
    String adminToken;
    try {
      adminToken = Files.readString(tokenFile).strip();
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot set up the embedded origin in " + dir + ": " + e.getMessage(), e);
    }
    return new EmbeddedOrigin(volume, data, keyFile, adminToken, dir, serve(dir, data, 0));
  }

  private static OriginServer serve(Path dir, Path data, int port) {
    try {
      Path config = dir.resolve("origin-embedded.yaml");
      Files.writeString(config, "dataDir: \"" + data.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n"
          + "listen:\n  host: 127.0.0.1\n  port: " + port + "\n"
          + "tls:\n  enabled: false\n"
          + "gc:\n  intervalSeconds: 0\n");
      OriginConfig cfg = OriginConfigLoader.load(config);
      return OriginServer.start(cfg, VolumeStore.open(cfg, Clock.systemUTC()), Clock.systemUTC());
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot set up the embedded origin in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Stops serving: every connection closes, new ones are refused, the data directory is closed. Idempotent. */
  public synchronized void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  /** Serves the same data on the same port again after {@link #stop()}; does nothing while serving. */
  public synchronized void start() {
    if (server == null) {
      server = serve(dir, dataDir, port);
    }
  }

  /** "127.0.0.1:PORT". */
  public String address() {
    return "127.0.0.1:" + port;
  }

  public String volume() {
    return volume;
  }

  /** The origin's data directory (what {@code init --data} made). */
  public Path dataDir() {
    return dataDir;
  }

  /** The volume key file a client needs. */
  public Path keyFile() {
    return keyFile;
  }

  /** An ADMIN token for this volume. */
  public String adminToken() {
    return adminToken;
  }

  /** The running server. @throws IllegalStateException while stopped */
  public synchronized OriginServer server() {
    if (server == null) {
      throw new IllegalStateException("the embedded origin is stopped");
    }
    return server;
  }

  /** A token of {@code mode} for {@code subject}, valid for an hour, signed by this origin's key. */
  public String token(AccessToken.Mode mode, String subject) {
    Instant now = Instant.now();
    return new OriginDataDir(dataDir).signer().sign(new AccessToken(volume, mode, subject, now.minusSeconds(5),
        now.plus(Duration.ofHours(1))));
  }

  @Override
  public void close() {
    stop();
  }
}
