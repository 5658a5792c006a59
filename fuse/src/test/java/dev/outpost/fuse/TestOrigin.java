package dev.outpost.fuse;

import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import dev.outpost.origin.cli.OriginMain;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.server.OriginServer;
import dev.outpost.origin.server.VolumeStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A real origin (LMDB volume, protocol server) on 127.0.0.1 in a temporary directory, set up by the origin's own
 * {@code init}, as a user would.
 */
final class TestOrigin implements AutoCloseable {
  static final String VOLUME = "fusevol";

  final Path data;
  final Path keyFile;
  final String adminToken;
  final OriginServer server;

  private TestOrigin(Path dir) {
    this.data = dir.resolve("data");
    this.keyFile = dir.resolve(VOLUME + ".volume-key");
    Path tokenFile = dir.resolve("admin.token");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = OriginMain.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), "init", "--data", data.toString(), "--volume", VOLUME,
        "--key-out", keyFile.toString(), "--token-out", tokenFile.toString());
    if (code != 0) {
      throw new IllegalStateException("origin init failed: " + err.toString(StandardCharsets.UTF_8));
    }
    try {
      adminToken = Files.readString(tokenFile).strip();
      Path config = dir.resolve("origin-test.yaml");
      Files.writeString(config, "dataDir: \"" + data + "\"\n"
          + "listen:\n  host: 127.0.0.1\n  port: 0\n"
          + "tls:\n  enabled: false\n"
          + "gc:\n  intervalSeconds: 0\n");
      OriginConfig cfg = OriginConfigLoader.load(config);
      server = OriginServer.start(cfg, VolumeStore.open(cfg, Clock.systemUTC()), Clock.systemUTC());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TestOrigin start(Path dir) {
    return new TestOrigin(dir);
  }

  OutpostClient client() {
    String address = "127.0.0.1:" + server.address().getPort();
    return OutpostClient.connect(ClientConfig.of(address, adminToken, keyFile).withParallelism(2));
  }

  @Override
  public void close() {
    server.close();
  }
}
