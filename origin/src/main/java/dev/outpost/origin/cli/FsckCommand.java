package dev.outpost.origin.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.origin.server.VolumeStore;
import dev.outpost.origin.volume.Volume;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "fsck", mixinStandardHelpOptions = true,
    description = "Checks every invariant of the volume offline (stop the server first). Exit 1 and the problems if unhealthy.",
    footer = {"", "Example:", "  outpost-origin fsck --data /var/lib/outpost/origin"})
final class FsckCommand implements Callable<Integer> {
  private final Io io;

  @Option(names = "--data", required = true, description = "the origin's data directory")
  Path data;

  @Option(names = "--json", description = "print {\"healthy\": …, \"problems\": […]}")
  boolean json;

  FsckCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws Exception {
    Path dir = io.workDir().resolve(data).toAbsolutePath();
    new OriginDataDir(dir).requireInitialised();
    OriginConfig config = OriginConfigLoader.defaults(dir);
    List<String> problems;
    long seq;
    String name;
    try (Volume v = VolumeStore.open(config, io.clock())) {
      problems = v.fsck();
      seq = v.currentSeq();
      name = v.identity().name();
    }
    if (json) {
      io.out().println(new ObjectMapper().writeValueAsString(Map.of("volume", name, "healthy", problems.isEmpty(),
          "journalSeq", seq, "problems", problems)));
    } else if (problems.isEmpty()) {
      io.out().println("volume " + name + " is healthy (journal seq " + seq + ")");
    } else {
      io.out().println("volume " + name + " has " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + ":");
      problems.forEach(p -> io.out().println("  " + p));
    }
    return problems.isEmpty() ? 0 : 1;
  }
}
