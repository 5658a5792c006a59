package dev.outpost.origin.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import dev.outpost.program.ProgramRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code outpost-origin} program: set up a data directory, serve it, issue tokens, manage snapshots,
 * check and collect garbage. Exit codes: 0 ok, 1 failure, 2 usage. Errors are one line on stderr; the log
 * holds the cause.
 */
@Command(name = "outpost-origin", mixinStandardHelpOptions = true, version = "outpost-origin 0.1",
    description = "The Outpost origin: the authoritative volume server at headquarters.",
    subcommands = {InitCommand.class, ServeCommand.class, TokenCommand.class, SnapshotCommand.class,
        FsckCommand.class, GcCommand.class},
    footer = {"", "Examples:",
        "  outpost-origin init --data /var/lib/outpost/origin --volume projects",
        "  outpost-origin serve --config /var/lib/outpost/origin/origin.yaml",
        "  outpost-origin token issue --data /var/lib/outpost/origin --mode rw --subject branch-1 --ttl 30d",
        "  outpost-origin snapshot list --server 127.0.0.1:7070 --data /var/lib/outpost/origin --token-file admin.token"})
public final class OriginMain implements Runnable {
  static final String PROGRAM = "outpost-origin";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  public static void main(String[] args) {
    System.exit(run(System.out, System.err, args));
  }

  /** Runs the program with the given streams; returns the exit code. */
  public static int run(PrintStream out, PrintStream err, String... args) {
    return run(new Io(out, err, Clock.systemUTC(), new SecureRandom(), Path.of("").toAbsolutePath()), args);
  }

  static int run(Io io, String... args) {
    return ProgramRunner.run(PROGRAM, new OriginMain(), io, io.out(), io.err(), args);
  }
}
