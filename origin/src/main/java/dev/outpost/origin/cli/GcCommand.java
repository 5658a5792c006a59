package dev.outpost.origin.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.origin.server.VolumeStore;
import dev.outpost.origin.volume.Volume;
import dev.outpost.program.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gc", mixinStandardHelpOptions = true,
    description = "Deletes blocks that no live file or snapshot references and that nobody touched within the grace "
        + "period, and forgets the recorded replies of senders of operation ids idle for 30 days (offline: stop the "
        + "server first; a running server collects by gc.intervalSeconds).",
    footer = {"", "Example:", "  outpost-origin gc --data /var/lib/outpost/origin --grace 1h"})
final class GcCommand implements Callable<Integer> {
  private final Io io;

  @Option(names = "--data", required = true, description = "the origin's data directory")
  Path data;

  @Option(names = "--grace", defaultValue = "24h", converter = Durations.class,
      description = "keep unreferenced blocks touched more recently than this (default ${DEFAULT-VALUE}): uploads of a commit in progress")
  Duration grace;

  @Option(names = "--json", description = "print the report as JSON")
  boolean json;

  GcCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws Exception {
    Path dir = io.workDir().resolve(data).toAbsolutePath();
    new OriginDataDir(dir).requireInitialised();
    Volume.GcReport r;
    try (Volume v = VolumeStore.open(OriginConfigLoader.defaults(dir), io.clock())) {
      r = v.collectGarbage(grace.toMillis(), io.clock().millis());
    }
    if (json) {
      io.out().println(new ObjectMapper().writeValueAsString(Map.of("blocksKept", r.blocksKept(),
          "blocksFreed", r.blocksFreed(), "bytesFreed", r.bytesFreed(), "originatorsDropped", r.originatorsDropped())));
    } else {
      io.out().println("gc: kept " + r.blocksKept() + " blocks, freed " + r.blocksFreed() + " blocks (" + r.bytesFreed()
          + " bytes); forgot " + r.originatorsDropped() + " senders of operation ids idle for 30 days");
    }
    return 0;
  }
}
