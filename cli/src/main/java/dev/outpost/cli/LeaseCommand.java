package dev.outpost.cli;

import dev.outpost.client.Lease;
import dev.outpost.client.LeaseListing;
import dev.outpost.client.OutpostClient;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.program.Durations;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.protocol.LeaseMode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code outpost lease}: leases (one writer or many readers per path, fenced by an epoch) for scripts, as
 * flock(1) gives locks. Exit codes a script can use: {@value #EXIT_OK} granted / done, {@value #EXIT_FAILURE}
 * error, {@value #EXIT_USAGE} usage, {@value #EXIT_HELD} held by another party (also once {@code --wait} ran
 * out), {@value #EXIT_LOST} the lease is not current (expired, released or taken over; {@code run}: lost while
 * the command ran), {@value #EXIT_OFFLINE} a branch proxy cut off from the origin cannot grant or verify it.
 */
@Command(name = "lease", mixinStandardHelpOptions = true,
    description = "Leases on paths: acquire, renew, release, list, or hold one while a command runs.",
    subcommands = {LeaseCommand.Acquire.class, LeaseCommand.Renew.class, LeaseCommand.Release.class,
        LeaseCommand.ListLeases.class, LeaseCommand.Run.class},
    footer = {"%nExit codes: 0 granted/done, 1 error, 2 usage, 3 held by another (or --wait ran out),",
        "4 lease not current (expired, released, taken over; run: lost while the command ran),",
        "5 offline (a branch proxy cut off from the origin cannot grant or verify leases).",
        "%nExamples:", "  outpost lease run /projects/build.lock --wait 60s -- make release",
        "  t=$(outpost lease acquire /projects/plan.txt --ttl 5m) && outpost put plan.txt /projects/plan.txt"
            + " --lease $t; outpost lease release /projects/plan.txt $t",
        "  outpost lease list /projects"})
final class LeaseCommand implements Runnable {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;
  static final int EXIT_HELD = 3;
  static final int EXIT_LOST = 4;
  static final int EXIT_OFFLINE = 5;
  static final String DEFAULT_TTL = "60s";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "missing lease command (acquire, renew, release, list, run)");
  }

  /** The exit code for a refusal a script may want to tell apart ({@link OutpostMain#exitCode}), else rethrown. */
  static int refused(OutpostMain main, OutpostException e) {
    int code = OutpostMain.exitCode(e);
    if (code == EXIT_FAILURE) {
      throw e;
    }
    main.err.println("outpost: " + e.getMessage());
    return code;
  }

  static final class Mode {
    @Option(names = "--exclusive", description = "One holder (the default): for writing.")
    boolean exclusive;

    @Option(names = "--shared", description = "Many holders, no exclusive one: for reading.")
    boolean shared;

    LeaseMode mode() {
      return shared ? LeaseMode.SHARED : LeaseMode.EXCLUSIVE;
    }
  }

  /** The options acquire and run share. */
  abstract static class Acquiring extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @ArgGroup(exclusive = true)
    Mode mode = new Mode();

    @Option(names = "--subtree", description = "Also cover everything below PATH.")
    boolean subtree;

    @Option(names = "--ttl", defaultValue = DEFAULT_TTL, converter = Durations.class,
        description = "Lifetime, renewed while this process holds it (default ${DEFAULT-VALUE}); the origin may "
            + "shorten it.")
    Duration ttl;

    @Option(names = "--wait", converter = Durations.class,
        description = "While another party holds it, keep asking this long (each refusal recalls its lease). "
            + "Default: fail at once with exit 3 (unlike flock(1), which waits unless -n).")
    Duration wait;

    Lease acquire(OutpostClient client) {
      LeaseMode m = mode == null ? LeaseMode.EXCLUSIVE : mode.mode();
      return client.lease(path, m, subtree, ttl, wait == null ? Duration.ZERO : wait, () -> false);
    }
  }

  @Command(name = "acquire", mixinStandardHelpOptions = true,
      description = "Acquire a lease and print its token (the fencing epoch). It lives until its ttl runs out or "
          + "`lease release PATH TOKEN`: this process does not stay to renew it (`lease renew`, or use `lease run`).",
      footer = {"%nExample:", "  t=$(outpost lease acquire /projects/plan.txt --ttl 5m --wait 30s)"})
  static final class Acquire extends Acquiring {
    @Option(names = "--json", description = "As one JSON object.")
    boolean json;

    @Override
    int run(OutpostClient client) {
      Lease l;
      try {
        l = acquire(client);
      } catch (OutpostException e) {
        return refused(main, e);
      }
      l.renewAutomatically(false);
      main.out.println(json ? json(l.path(), l.mode(), l.subtree(), l.token(), l.expiresAtMillis())
          : Long.toString(l.token()));
      return EXIT_OK;
    }
  }

  @Command(name = "renew", mixinStandardHelpOptions = true,
      description = "Extend a lease to its ttl from now (exit 4 if it is no longer current).",
      footer = {"%nExample:", "  outpost lease renew /projects/plan.txt 42 --ttl 5m"})
  static final class Renew extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Parameters(index = "1", paramLabel = "TOKEN")
    long token;

    @Option(names = "--ttl", defaultValue = DEFAULT_TTL, converter = Durations.class,
        description = "New lifetime from now (default ${DEFAULT-VALUE}).")
    Duration ttl;

    @Option(names = "--json", description = "As one JSON object.")
    boolean json;

    @Override
    int run(OutpostClient client) {
      LeaseGrant g;
      try {
        g = client.renewLease(path, token, ttl);
      } catch (OutpostException e) {
        return refused(main, e);
      }
      main.out.println(json ? json(g.path(), g.mode(), false, g.token(), g.expiresAtMillis())
          : "lease " + g.token() + " on " + g.path() + " until " + Instant.ofEpochMilli(g.expiresAtMillis()));
      return EXIT_OK;
    }
  }

  @Command(name = "release", mixinStandardHelpOptions = true,
      description = "Give a lease back, so another party can acquire it at once (one that lapsed already: exit 0).",
      footer = {"%nExample:", "  outpost lease release /projects/plan.txt 42"})
  static final class Release extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Parameters(index = "1", paramLabel = "TOKEN")
    long token;

    @Override
    int run(OutpostClient client) {
      try {
        client.releaseLease(path, token);
      } catch (OutpostException e) {
        return refused(main, e);
      }
      return EXIT_OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "The live leases on PATH, below it and above it covering it (default /: all): token (epoch), "
          + "mode, holder, expiry. Through a branch proxy cut off from the origin: what it knew, unverifiable.",
      footer = {"%nExample:", "  outpost lease list /projects --json"})
  static final class ListLeases extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH", defaultValue = "/", arity = "0..1")
    String path;

    @Option(names = "--json", description = "As one JSON object.")
    boolean json;

    @Override
    int run(OutpostClient client) {
      LeaseListing ls;
      try {
        ls = client.leases(path);
      } catch (OutpostException e) {
        return refused(main, e);
      }
      if (json) {
        List<String> items = new ArrayList<>();
        for (LeaseInfo l : ls.leases()) {
          items.add("{\"path\":" + Entries.quote(l.path()) + ",\"mode\":\"" + l.mode().name().toLowerCase(Locale.ROOT)
              + "\",\"subtree\":" + l.subtree() + ",\"token\":" + l.token() + ",\"holder\":" + Entries.quote(l.holder())
              + ",\"expiresAtMillis\":" + l.expiresAtMillis() + ",\"recalled\":" + l.recalled() + "}");
        }
        main.out.println("{\"path\":" + Entries.quote(ls.path()) + ",\"leases\":[" + String.join(",", items) + "]"
            + ls.unverifiableSince().map(t -> ",\"unverifiableSinceMillis\":" + t.toEpochMilli()).orElse("") + "}");
        return EXIT_OK;
      }
      ls.unverifiableSince().ifPresent(t -> main.out.println("unverifiable since " + t
          + " (the branch proxy cannot reach the origin: these may have lapsed or been taken over)"));
      if (ls.leases().isEmpty()) {
        main.out.println("no leases on " + ls.path());
      }
      for (LeaseInfo l : ls.leases()) {
        main.out.println(String.format(Locale.ROOT, "%-8d %-9s %-20s until %s%s  %s", l.token(),
            l.mode().name().toLowerCase(Locale.ROOT), l.holder(), Instant.ofEpochMilli(l.expiresAtMillis()),
            l.recalled() ? " (recalled)" : "", l.path() + (l.subtree() ? "/**" : "")));
      }
      return EXIT_OK;
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Hold a lease while COMMAND runs, as flock(1) holds a lock: acquire, run COMMAND with "
          + "OUTPOST_LEASE_PATH and OUTPOST_LEASE_TOKEN set (pass --lease $OUTPOST_LEASE_TOKEN to outpost commands),"
          + " renew it meanwhile, release it when COMMAND ends, exit with COMMAND's code. If the lease is lost "
          + "meanwhile (renewals refused, or none reached the origin within the ttl) COMMAND gets SIGTERM "
          + "(SIGKILL 10 s later) and the exit code is 4.",
      footer = {"%nExample:", "  outpost lease run /projects/build.lock --wait 60s -- make release"})
  static final class Run extends Acquiring {
    @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "1..*", description = "The command and its arguments.")
    List<String> command;

    @Override
    int run(OutpostClient client) throws IOException, InterruptedException {
      Lease l;
      try {
        l = acquire(client);
      } catch (OutpostException e) {
        return refused(main, e);
      }
      CompletableFuture<OutpostException> lost = new CompletableFuture<>();
      l.onLost(lost::complete);
      ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
      pb.environment().put("OUTPOST_LEASE_PATH", l.path());
      pb.environment().put("OUTPOST_LEASE_TOKEN", Long.toString(l.token()));
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        l.close();
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot run " + command.getFirst() + ": "
            + e.getMessage(), e);
      }
      try {
        CompletableFuture.anyOf(p.onExit(), lost).join();
        if (lost.isDone() && p.isAlive()) {
          main.err.println("outpost: " + lost.join().getMessage() + "; stopping " + command.getFirst());
          p.destroy();
          if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
          p.waitFor();
          return EXIT_LOST;
        }
        return p.waitFor();
      } finally {
        if (p.isAlive()) {
          p.destroyForcibly();
        }
        if (l.isHeld()) {
          try {
            l.close();
          } catch (OutpostException e) {
            main.err.println("outpost: cannot release the lease (" + e.getMessage() + "); it lapses after its ttl");
          }
        }
      }
    }
  }

  static String json(String path, LeaseMode mode, boolean subtree, long token, long expiresAtMillis) {
    return "{\"path\":" + Entries.quote(path) + ",\"mode\":\"" + mode.name().toLowerCase(Locale.ROOT)
        + "\",\"subtree\":" + subtree + ",\"token\":" + token + ",\"expiresAtMillis\":" + expiresAtMillis + "}";
  }
}
