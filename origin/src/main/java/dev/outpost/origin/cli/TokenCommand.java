package dev.outpost.origin.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.crypto.AccessToken;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.program.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "token", mixinStandardHelpOptions = true, description = "Access tokens signed by this origin.",
    subcommands = TokenCommand.Issue.class)
final class TokenCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (issue)");
  }

  /** The token modes as users type them. */
  enum ModeOption {
    ro(AccessToken.Mode.RO), rw(AccessToken.Mode.RW), admin(AccessToken.Mode.ADMIN);

    final AccessToken.Mode mode;

    ModeOption(AccessToken.Mode mode) {
      this.mode = mode;
    }
  }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = "Signs a token with the origin's key and prints it (reads the data directory only; the server may run).",
      footer = {"", "Examples:",
          "  outpost-origin token issue --data /var/lib/outpost/origin --mode rw --subject branch-1 --ttl 30d",
          "  outpost-origin token issue --data /var/lib/outpost/origin --mode ro --subject backup --ttl 12h --json"})
  static final class Issue implements Callable<Integer> {
    private final Io io;

    @Option(names = "--data", required = true, description = "the origin's data directory")
    Path data;

    @Option(names = "--mode", required = true, description = "ro, rw or admin")
    ModeOption mode;

    @Option(names = "--subject", required = true, description = "who the token is for (a user or host name)")
    String subject;

    @Option(names = "--ttl", defaultValue = "30d", converter = Durations.class,
        description = "lifetime, e.g. 30d, 12h, 90m (default ${DEFAULT-VALUE})")
    Duration ttl;

    @Option(names = "--json", description = "print a JSON object instead of the bare token")
    boolean json;

    Issue(Io io) {
      this.io = io;
    }

    @Override
    public Integer call() throws Exception {
      OriginDataDir dir = new OriginDataDir(io.workDir().resolve(data)).requireInitialised();
      Instant now = io.clock().instant();
      AccessToken t = new AccessToken(dir.volumeName(), mode.mode, subject, now, now.plus(ttl));
      String token = dir.signer().sign(t);
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", token);
        m.put("volume", t.volume());
        m.put("mode", mode.name().toLowerCase(Locale.ROOT));
        m.put("subject", subject);
        m.put("expiresAt", t.expiresAt().toString());
        io.out().println(new ObjectMapper().writeValueAsString(m));
      } else {
        io.out().println(token);
      }
      return 0;
    }
  }
}
