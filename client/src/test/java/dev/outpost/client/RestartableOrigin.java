package dev.outpost.client;

import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.origin.server.OriginServer;
import dev.outpost.origin.server.VolumeStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * An {@link EmbeddedOrigin} that can be stopped and started again on the same port and data, as an origin (or a
 * proxy) restarted by its administrator: every client connection drops, and the address answers again later.
 */
final class RestartableOrigin implements AutoCloseable {
  private final EmbeddedOrigin embedded;
  private final Path dir;
  private final int port;
  /** The server started by {@link #start()}; null while the embedded one serves or nothing does. */
  private OriginServer restarted;
  private boolean running = true;

  private RestartableOrigin(EmbeddedOrigin embedded, Path dir) {
    this.embedded = embedded;
    this.dir = dir;
    this.port = embedded.server().address().getPort();
  }

  static RestartableOrigin start(Path dir) {
    return new RestartableOrigin(EmbeddedOrigin.start(dir, TestOrigins.VOLUME), dir);
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  /** A client of this origin that retries its connection quickly (20 ms doubling up to 200 ms). */
  ClientConfig config() {
    return config(address());
  }

  /** As {@link #config()} through {@code server} (a relay in front of this origin). */
  ClientConfig config(String server) {
    return ClientConfig.of(server, embedded.adminToken(), embedded.keyFile()).withParallelism(2)
        .withReconnect(new ClientConfig.Reconnect(20, 200));
  }

  /** Stops serving: open connections are closed, new ones refused. */
  synchronized void stop() {
    if (!running) {
      return;
    }
    running = false;
    if (restarted != null) {
      restarted.close();
      restarted = null;
    } else {
      embedded.close();
    }
  }

  /** Serves the same volume on the same port again. */
  synchronized void start() {
    if (running) {
      return;
    }
    try {
      Path config = dir.resolve("origin-restarted.yaml");
      Files.writeString(config, "dataDir: \"" + embedded.dataDir() + "\"\n"
          + "listen:\n  host: 127.0.0.1\n  port: " + port + "\n"
          + "tls:\n  enabled: false\n"
          + "gc:\n  intervalSeconds: 0\n");
      OriginConfig cfg = OriginConfigLoader.load(config);
      restarted = OriginServer.start(cfg, VolumeStore.open(cfg, Clock.systemUTC()), Clock.systemUTC());
      running = true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void restart() {
    stop();
    start();
  }

  @Override
  public void close() {
    stop();
  }
}
