package dev.outpost.cli;

import dev.outpost.core.OutpostException;
import dev.outpost.core.Utf8;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code outpost} command. Exit codes: 0 ok, 1 failure (one line on stderr: bad token, no such path,
 * conflict, server unreachable, an argument that is not valid UTF-8), 2 usage error, 3 held by another party's
 * lease, 4 a lease that is not current (fenced), 5 offline (see {@link LeaseCommand}). Output goes through the
 * injected streams, so tests run the CLI in-process.
 */
@Command(name = "outpost", mixinStandardHelpOptions = true, version = "outpost 0.1.0",
    description = "Files on an Outpost volume, through an origin or a branch proxy. Encryption happens here:"
        + " the server only ever sees ciphertext.",
    subcommands = {LsCommand.class, StatCommand.class, CatCommand.class, GetCommand.class, PutCommand.class,
        RmCommand.class, MvCommand.class, MkdirCommand.class, LnCommand.class, WatchCommand.class,
        ImportCommand.class, MountCommand.class, LeaseCommand.class, CommandLine.HelpCommand.class},
    footer = {"%nSettings come from --config FILE (YAML or .properties; default ~/.config/outpost/client.yaml"
        + " if present) and flags, which win: server, token or tokenFile, keyFile, tlsCa, tlsCert, tlsKey, parallelism,"
        + " readAheadBytes.", "%nExample:", "  outpost --help ls", "  outpost ls -l / --server origin.example:7000"
        + " --token-file ~/.outpost-token --key-file ~/vol.key"})
public final class OutpostMain implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(OutpostMain.class);
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILURE = 1;
  public static final int EXIT_USAGE = 2;

  final PrintStream out;
  final PrintStream err;
  final boolean terminal;

  /**
   * @param terminal true to draw a progress bar (a console), false for plain progress lines
   */
  public OutpostMain(PrintStream out, PrintStream err, boolean terminal) {
    this.out = out;
    this.err = err;
    this.terminal = terminal;
  }

  public static void main(String[] args) {
    // Names are UTF-8 (ADR 0003): print them as UTF-8 whatever the locale, never as '?' (cat's bytes pass as they are).
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    int code = new OutpostMain(out, err, System.console() != null).run(args);
    out.flush();
    System.out.flush();
    System.exit(code);
  }

  /** Runs one command line; returns the exit code. */
  public int run(String... args) {
    for (int i = 0; i < args.length; i++) {
      if (Utf8.mayBeLossy(args[i])) {
        // The JVM decoded argv with the locale's charset, replacing what it could not decode with U+FFFD: the
        // original bytes are gone, and storing the replacement would alias another name (ADR 0003).
        boolean secret = args[i].startsWith("--token=") || (i > 0 && args[i - 1].equals("--token"));
        String shown = secret ? "of --token (not shown)" : "'" + Utf8.escapeUnpaired(args[i]) + "'";
        err.println("outpost: argument " + shown + " is not valid UTF-8 (it holds U+FFFD, what the locale's"
            + " decoder leaves for bytes it cannot read, or an unpaired surrogate); names are UTF-8");
        return EXIT_FAILURE;
      }
    }
    CommandLine cl = new CommandLine(this);
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (ex instanceof OutpostException e) {
        err.println("outpost: " + e.getMessage());
        log.debug("command failed", e);
        return exitCode(e);
      }
      if (ex instanceof CommandLine.ParameterException pe) {
        err.println("outpost: " + pe.getMessage());
        return EXIT_USAGE;
      }
      err.println("outpost: internal error: " + ex);
      log.warn("internal error", ex);
      return EXIT_FAILURE;
    });
    cl.setParameterExceptionHandler((ex, a) -> {
      err.println("outpost: " + ex.getMessage());
      err.println("Try 'outpost " + (ex.getCommandLine().getCommandName().equals("outpost") ? ""
          : ex.getCommandLine().getCommandName() + " ") + "--help'.");
      return EXIT_USAGE;
    });
    int code = cl.execute(args);
    out.flush();
    return code;
  }

  /**
   * 1 for a failure, except what a script waiting for or holding a lease wants to tell apart: 3 held by another
   * party (LEASE_CONFLICT), 4 the lease is not current (FENCED), 5 offline (a branch proxy cut off from the
   * origin cannot grant or verify a lease).
   */
  static int exitCode(OutpostException e) {
    return switch (e.code()) {
      case LEASE_CONFLICT -> LeaseCommand.EXIT_HELD;
      case FENCED -> LeaseCommand.EXIT_LOST;
      case OFFLINE -> LeaseCommand.EXIT_OFFLINE;
      default -> EXIT_FAILURE;
    };
  }

  /** Without a subcommand: usage, exit 2. */
  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "missing command (ls, stat, cat, get, put, rm, mv,"
        + " mkdir, ln, watch, import, mount, lease)");
  }
}
