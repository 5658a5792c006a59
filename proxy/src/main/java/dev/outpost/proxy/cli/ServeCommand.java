package dev.outpost.proxy.cli;

import dev.outpost.proxy.config.ProxyConfig;
import dev.outpost.proxy.config.ProxyConfigLoader;
import dev.outpost.proxy.server.ProxyServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code outpost-proxy serve --config FILE}: runs the proxy until stopped (SIGTERM / Ctrl-C). */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve clients from the block cache, forwarding to the origin.",
    footer = {"", "Example:", "  outpost-proxy serve --config /etc/outpost/proxy.yaml"})
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);
  private final Io io;

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "The proxy's YAML configuration.")
  Path config;

  ServeCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    ProxyConfig cfg = ProxyConfigLoader.load(config);
    log.info("effective config: {}", cfg);
    try (ProxyServer server = ProxyServer.start(cfg, io.clock())) {
      io.out().println("outpost-proxy: volume " + cfg.volume() + " listening on " + server.address().getHostString()
          + ":" + server.address().getPort() + ", origin " + cfg.origin());
      io.out().flush();
      io.stop().join();
      io.out().println("outpost-proxy: stopping");
    }
    return 0;
  }
}
