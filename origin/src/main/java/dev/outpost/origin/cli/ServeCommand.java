package dev.outpost.origin.cli;

import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.server.OriginServer;
import dev.outpost.origin.server.VolumeStore;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serves the volume until stopped (SIGTERM or Ctrl-C shut it down cleanly; every acknowledged "
        + "commit is durable even after a crash).",
    footer = {"", "Example:", "  outpost-origin serve --config /var/lib/outpost/origin/origin.yaml"})
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);
  private final Io io;

  @Option(names = "--config", required = true, description = "the origin's YAML config (see conf/origin.yaml)")
  Path config;

  ServeCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws InterruptedException {
    OriginConfig cfg = OriginConfigLoader.load(io.workDir().resolve(config));
    log.info("effective config: {}", cfg);
    new dev.outpost.origin.server.OriginDataDir(cfg.dataDir()).requireInitialised();
    OriginServer server = OriginServer.start(cfg, VolumeStore.open(cfg, io.clock()), io.clock());
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "origin-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    // Scripts and tests read the bound address (port 0 picks a free one) from this line.
    io.out().println("listening on " + server.address().getHostString() + ":" + server.address().getPort());
    io.out().flush();
    stopped.await();
    return 0;
  }
}
