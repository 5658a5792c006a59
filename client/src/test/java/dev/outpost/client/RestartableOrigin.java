package dev.outpost.client;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.origin.server.OriginServer;
import java.nio.file.Path;

/**
 * An {@link EmbeddedOrigin} that can be stopped and started again on the same port and data, as an origin (or a
 * proxy) restarted by its administrator: every client connection drops, and the address answers again later.
 */
final class RestartableOrigin implements AutoCloseable {
  private final EmbeddedOrigin embedded;
  private final int port;

  private RestartableOrigin(EmbeddedOrigin embedded) {
    this.embedded = embedded;
    this.port = embedded.server().address().getPort();
  }

  static RestartableOrigin start(Path dir) {
    return new RestartableOrigin(EmbeddedOrigin.start(dir, TestOrigins.VOLUME));
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

  /** The server running now. */
  OriginServer server() {
    return embedded.server();
  }

  /** Stops serving: open connections are closed, new ones refused. */
  void stop() {
    embedded.stop();
  }

  /** Serves the same volume on the same port again. */
  void start() {
    embedded.start();
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
