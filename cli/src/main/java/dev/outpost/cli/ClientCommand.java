package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand that talks to the server: connects with the shared options, runs, closes. */
abstract class ClientCommand implements Callable<Integer> {
  @Mixin
  ClientOptions options;

  @Spec
  CommandSpec spec;

  /** The root command, for its streams (also for subcommands nested deeper, as {@code lease acquire}). */
  OutpostMain main;

  @Override
  public final Integer call() throws Exception {
    main = (OutpostMain) spec.root().userObject();
    try (OutpostClient client = options.connect(spec.commandLine())) {
      return run(client);
    }
  }

  /** Does the work; returns the exit code. */
  abstract int run(OutpostClient client) throws Exception;
}
