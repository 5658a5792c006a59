package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove files, links or empty directories.",
    footer = {"%nExample:", "  outpost rm -r /tmp/old-build"})
final class RmCommand extends ClientCommand {
  @Parameters(arity = "1..*", paramLabel = "PATH")
  java.util.List<String> paths;

  @Option(names = {"-r", "--recursive"}, description = "Remove directories and everything below them.")
  boolean recursive;

  @Option(names = "--lease", paramLabel = "TOKEN", defaultValue = "0",
      description = "Under this lease (from `outpost lease acquire`, or $OUTPOST_LEASE_TOKEN in `outpost lease run`): "
          + "refused with exit 4 unless it is the current lease covering the path.")
  long lease;

  @Override
  int run(OutpostClient client) {
    for (String p : paths) {
      client.rm(p, recursive, lease);
    }
    return 0;
  }
}
