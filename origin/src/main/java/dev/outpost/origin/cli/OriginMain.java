package dev.outpost.origin.cli;

import dev.outpost.core.OutpostException;
import dev.outpost.transport.Errors;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
  private static final Logger log = LoggerFactory.getLogger(OriginMain.class);
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
    CommandLine cmd = new CommandLine(new OriginMain(), new Factory(io));
    cmd.setOut(new PrintWriter(io.out(), true));
    cmd.setErr(new PrintWriter(io.err(), true));
    cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      OutpostException oe = Errors.unwrap(e);
      if (oe.code() == dev.outpost.core.ErrorCode.INTERNAL) {
        log.error("{} failed", PROGRAM, e);
      } else {
        log.debug("{} failed", PROGRAM, e);
      }
      io.err().println(PROGRAM + ": " + oe.getMessage());
      return 1;
    });
    cmd.setParameterExceptionHandler((e, args1) -> {
      io.err().println(PROGRAM + ": " + e.getMessage());
      e.getCommandLine().usage(new PrintWriter(io.err(), true));
      return 2;
    });
    int code = cmd.execute(args);
    io.out().flush();
    io.err().flush();
    return code;
  }

  /** Creates commands with the injected {@link Io} when they take one. */
  private record Factory(Io io) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> cls) throws Exception {
      try {
        Constructor<K> c = cls.getDeclaredConstructor(Io.class);
        c.setAccessible(true);
        return c.newInstance(io);
      } catch (NoSuchMethodException e) {
        return CommandLine.defaultFactory().create(cls);
      }
    }
  }
}
