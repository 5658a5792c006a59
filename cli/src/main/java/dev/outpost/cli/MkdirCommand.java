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

  @Override
  int run(OutpostClient client) {
    for (String p : paths) {
      client.mkdir(p, parents);
    }
    return 0;
  }
}
