package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ln", mixinStandardHelpOptions = true, description = "Create a symbolic link (hard links do not exist).",
    footer = {"%nExample:", "  outpost ln -s ../shared/logo.png /site/logo.png"})
final class LnCommand extends ClientCommand {
  @Option(names = "-s", required = true, description = "Symbolic (required).")
  boolean symbolic;

  @Parameters(index = "0", paramLabel = "TARGET", description = "What the link points to (may be relative).")
  String target;

  @Parameters(index = "1", paramLabel = "LINK")
  String link;

  @Option(names = "--lease", paramLabel = "TOKEN", defaultValue = "0",
      description = "Under this lease (from `outpost lease acquire`, or $OUTPOST_LEASE_TOKEN in `outpost lease run`): "
          + "refused with exit 4 unless it is the current lease covering the path.")
  long lease;

  @Override
  int run(OutpostClient client) {
    if (!symbolic) {
      throw new CommandLine.ParameterException(spec.commandLine(), "only symbolic links exist: use ln -s");
    }
    client.symlink(link, target, lease);
    return 0;
  }
}
