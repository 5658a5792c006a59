package dev.outpost.cli;

import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import dev.outpost.origin.embedded.EmbeddedOrigin;

/** Clients of an {@link EmbeddedOrigin} with its admin token. */
final class TestOrigins {
  static final String VOLUME = "testvol";

  private TestOrigins() {}

  static ClientConfig config(EmbeddedOrigin origin) {
    return ClientConfig.of(origin.address(), origin.adminToken(), origin.keyFile()).withParallelism(2);
  }

  static OutpostClient client(EmbeddedOrigin origin) {
    return OutpostClient.connect(config(origin));
  }
}
