package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "mv", mixinStandardHelpOptions = true, description = "Rename atomically (replaces a file at TO).",
    footer = {"%nExample:", "  outpost mv /drafts/plan.txt /final/plan.txt"})
final class MvCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "FROM")
  String from;

  @Parameters(index = "1", paramLabel = "TO")
  String to;

  @Override
  int run(OutpostClient client) {
    client.mv(from, to);
    return 0;
  }
}
