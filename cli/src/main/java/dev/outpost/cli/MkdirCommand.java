package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "mkdir", mixinStandardHelpOptions = true, description = "Create directories.",
    footer = {"%nExample:", "  outpost mkdir -p /projects/2026/q4"})
final class MkdirCommand extends ClientCommand {
  @Parameters(arity = "1..*", paramLabel = "PATH")
  java.util.List<String> paths;

  @Option(names = {"-p", "--parents"}, description = "Create missing parents; an existing directory is fine.")
  boolean parents;

  @Option(names = "--lease", paramLabel = "TOKEN", defaultValue = "0",
      description = "Under this lease (from `outpost lease acquire`, or $OUTPOST_LEASE_TOKEN in `outpost lease run`): "
          + "refused with exit 4 unless it is the current lease covering the path.")
  long lease;

  @Override
  int run(OutpostClient client) {
    for (String p : paths) {
      client.mkdir(p, parents, lease);
    }
    return 0;
  }
}
