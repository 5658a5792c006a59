package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "mv", mixinStandardHelpOptions = true, description = "Rename atomically (replaces a file at TO).",
    footer = {"%nExample:", "  outpost mv /drafts/plan.txt /final/plan.txt"})
final class MvCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "FROM")
  String from;

  @Parameters(index = "1", paramLabel = "TO")
  String to;

  @Option(names = "--lease", paramLabel = "TOKEN", defaultValue = "0",
      description = "Under this lease (from `outpost lease acquire`, or $OUTPOST_LEASE_TOKEN in `outpost lease run`): "
          + "refused with exit 4 unless it is the current lease covering the path.")
  long lease;

  @Override
  int run(OutpostClient client) {
    client.mv(from, to, lease);
    return 0;
  }
}
