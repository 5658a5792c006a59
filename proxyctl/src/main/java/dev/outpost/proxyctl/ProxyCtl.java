package dev.outpost.proxyctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * {@code proxyctl}: the proxy's admin API from a shell. Exit codes: 0 ok, 1 failure (one line on stderr),
 * 2 usage. Output goes to the injected streams, so tests run it in-process against a live proxy.
 */
@Command(name = "proxyctl", mixinStandardHelpOptions = true, version = "proxyctl 0.1.0",
    description = "Administers a running Outpost proxy through its admin API.",
    subcommands = {ProxyCtl.Status.class, ProxyCtl.Stats.class, ProxyCtl.Warm.class, ProxyCtl.Pin.class,
        ProxyCtl.Unpin.class, ProxyCtl.Evict.class, ProxyCtl.Invalidate.class, ProxyCtl.Jobs.class},
    footer = {"", "The admin address and token come from --admin/--token-file, or from the proxy's config (--config):",
        "its admin.host, admin.port and admin.tokenFile.", "",
        "Examples:",
        "  proxyctl --config /etc/outpost/proxy.yaml status",
        "  proxyctl --admin 127.0.0.1:7480 --token-file /var/cache/outpost/proxy/admin.token stats --json",
        "  proxyctl warm --snapshot latest --path /projects/app --rate 20MB/s --wait",
        "  proxyctl jobs cancel warm-3"})
public final class ProxyCtl implements Runnable {
  static final String DEFAULT_ADMIN = "127.0.0.1:7480";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--admin", scope = ScopeType.INHERIT, description = "the proxy's admin API, host:port (default "
      + DEFAULT_ADMIN + ", or admin.host/port of --config)")
  String admin;

  @Option(names = "--token-file", scope = ScopeType.INHERIT,
      description = "file holding the admin token (default: admin.tokenFile of --config)")
  Path tokenFile;

  @Option(names = "--config", scope = ScopeType.INHERIT, description = "the proxy's config file (proxy.yaml)")
  Path config;

  @Option(names = "--json", scope = ScopeType.INHERIT, description = "print JSON for scripts")
  boolean json;

  @Option(names = "--timeout-seconds", scope = ScopeType.INHERIT, defaultValue = "120", hidden = true)
  long timeoutSeconds;

  final PrintStream out;
  final boolean terminal;
  final long pollMillis;

  ProxyCtl(PrintStream out, boolean terminal, long pollMillis) {
    this.out = out;
    this.terminal = terminal;
    this.pollMillis = pollMillis;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a command is required: status, stats, warm, pin, unpin, evict, invalidate, jobs");
  }

  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(out, err, System.console() != null, 500, args));
  }

  /**
   * Runs one command.
   *
   * @param terminal draw an updating progress bar (else plain progress lines)
   * @param pollMillis how often {@code warm --wait} asks for progress
   * @return the exit code
   */
  public static int run(PrintStream out, PrintStream err, boolean terminal, long pollMillis, String... args) {
    CommandLine cl = new CommandLine(new ProxyCtl(out, terminal, pollMillis));
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof ProxyCtlException p) {
        err.println("proxyctl: " + p.getMessage());
      } else {
        err.println("proxyctl: " + e);
      }
      return 1;
    });
    return cl.execute(args);
  }

  /** The admin client for the options given. */
  AdminClient client() {
    String hostPort = admin;
    Path token = tokenFile;
    if (config != null) {
      JsonNode root;
      try {
        root = new ObjectMapper(new YAMLFactory()).readTree(config.toFile());
      } catch (IOException e) {
        throw new ProxyCtlException("cannot read the proxy config " + config + ": " + e.getMessage());
      }
      JsonNode a = root == null ? null : root.get("admin");
      if (a == null || !a.isObject() || (a.has("enabled") && !a.get("enabled").asBoolean())) {
        throw new ProxyCtlException("the proxy config " + config + " has no admin section: the admin API is off");
      }
      Path base = config.toAbsolutePath().getParent();
      if (hostPort == null) {
        String host = a.hasNonNull("host") ? a.get("host").asText() : "127.0.0.1";
        if (host.equals("0.0.0.0") || host.equals("::")) {
          host = "127.0.0.1";
        }
        hostPort = host + ":" + (a.hasNonNull("port") ? a.get("port").asInt() : 7480);
      }
      if (token == null) {
        if (a.hasNonNull("tokenFile")) {
          token = base.resolve(a.get("tokenFile").asText());
        } else if (root.path("cache").hasNonNull("dir")) {
          token = base.resolve(root.path("cache").get("dir").asText()).resolve("admin.token");
        }
      }
    }
    if (hostPort == null) {
      hostPort = DEFAULT_ADMIN;
    }
    if (token == null) {
      throw new ProxyCtlException("no admin token: give --token-file FILE (the proxy's admin.tokenFile) or --config");
    }
    String t;
    try {
      t = Files.readString(token).strip();
    } catch (IOException e) {
      throw new ProxyCtlException("cannot read the admin token file " + token + ": "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
    }
    return new AdminClient(hostPort, t, Duration.ofSeconds(timeoutSeconds));
  }

  void print(JsonNode node) {
    out.println(node.toString());
  }

  // ---- commands ----

  /** Shared by the subcommands: the parent's options and streams. */
  abstract static class Sub implements Callable<Integer> {
    @CommandLine.ParentCommand
    ProxyCtl ctl;

    @Override
    public final Integer call() {
      return execute(ctl.client());
    }

    abstract int execute(AdminClient api);
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Link (CONNECTED, DEGRADED, DISCONNECTED or REPLAYING, since when, the last error), cache and "
          + "journal state.",
      footer = {"", "Example:", "  proxyctl --config /etc/outpost/proxy.yaml status"})
  static final class Status extends Sub {
    @Override
    int execute(AdminClient api) {
      JsonNode s = api.get("/api/status");
      if (ctl.json) {
        ctl.print(s);
        return 0;
      }
      PrintStream o = ctl.out;
      o.printf("proxy     %s, up %s%n", s.path("version").asText(), Units.duration(s.path("uptimeSeconds").asLong()));
      JsonNode link = s.path("link");
      long since = link.path("sinceMillis").asLong();
      o.printf("origin    %s %s since %s (%s ago)%n", link.path("origin").asText(), link.path("state").asText(),
          Units.instant(since), Units.duration(Math.max(0, (System.currentTimeMillis() - since) / 1000)));
      if (link.hasNonNull("lastError")) {
        o.printf("          last error %s: %s%n", Units.instant(link.path("lastErrorAtMillis").asLong()),
            link.path("lastError").asText());
      }
      o.printf("cache     %s of %s in %,d blocks, %s pinned%n", Units.bytes(s.at("/cache/bytes").asLong()),
          Units.bytes(s.at("/cache/limitBytes").asLong()), s.at("/cache/entries").asLong(),
          Units.bytes(s.at("/cache/pinnedBytes").asLong()));
      String lowered = s.at("/cache/limitReason").asText("");
      if (!lowered.isEmpty()) {
        o.printf("          bound lowered from %s: %s%n", Units.bytes(s.at("/cache/configuredLimitBytes").asLong()),
            lowered);
      }
      o.printf("journal   seq %d, lag %d, %s%n", s.at("/subscription/seq").asLong(), s.at("/subscription/lag").asLong(),
          s.at("/subscription/live").asBoolean() ? "live" : "NOT live (attributes are revalidated)");
      return 0;
    }
  }

  @Command(name = "stats", mixinStandardHelpOptions = true, description = "Traffic since the proxy started.",
      footer = {"", "Example:", "  proxyctl stats --json"})
  static final class Stats extends Sub {
    @Override
    int execute(AdminClient api) {
      JsonNode st = api.get("/api/status").path("stats");
      if (ctl.json) {
        ctl.print(st);
        return 0;
      }
      PrintStream o = ctl.out;
      o.printf("requests         %,d%n", st.path("requests").asLong());
      o.printf("block hits       %,d (%.1f %%), misses %,d%n", st.path("blockHits").asLong(),
          st.path("hitRatio").asDouble() * 100, st.path("blockMisses").asLong());
      o.printf("from cache       %s%n", Units.bytes(st.path("bytesFromCache").asLong()));
      o.printf("from origin      %s%n", Units.bytes(st.path("bytesFromOrigin").asLong()));
      o.printf("WAN bytes saved  %s%n", Units.bytes(st.path("wanBytesSaved").asLong()));
      o.printf(Locale.ROOT, "latency          p50 %.2f ms, p99 %.2f ms%n", st.path("latencyP50Millis").asDouble(),
          st.path("latencyP99Millis").asDouble());
      o.printf("invalidations    %,d%n", st.path("invalidations").asLong());
      return 0;
    }
  }

  @Command(name = "warm", mixinStandardHelpOptions = true,
      description = "Fetches the blocks of a snapshot (or the live volume) the cache lacks.",
      footer = {"", "Examples:", "  proxyctl warm --snapshot latest --path /projects --wait",
          "  proxyctl warm --snapshot nightly-2026-11-23 --path /a --path /b --pin --rate 20MB/s",
          "  proxyctl warm --snapshot '' --path /docs      # the live volume",
          "", "Rates are binary: 20MB/s = 20 MiB/s; 0 = unlimited."})
  static final class Warm extends Sub {
    @Option(names = "--snapshot", defaultValue = "latest",
        description = "latest (default), a snapshot name, or \"\" for the live volume")
    String snapshot;

    @Option(names = "--path", description = "a path prefix to warm (repeatable; default /)")
    List<String> paths = new ArrayList<>();

    @Option(names = "--pin", description = "also pin the blocks: never evicted")
    boolean pin;

    @Option(names = "--rate", description = "cap on the fetch rate, e.g. 20MB/s (default unlimited)")
    String rate;

    @Option(names = "--wait", description = "follow the job until it ends; exit 1 if it fails")
    boolean waitForEnd;

    @Override
    int execute(AdminClient api) {
      long rateBytes;
      try {
        rateBytes = rate == null ? 0 : Units.parseRate(rate);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(ctl.spec.commandLine(), "--rate: " + e.getMessage());
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("snapshot", snapshot);
      body.put("paths", paths.isEmpty() ? List.of("/") : paths);
      body.put("pin", pin);
      body.put("rateBytesPerSec", rateBytes);
      JsonNode job = api.post("/api/jobs/warm", body);
      String id = job.path("id").asText();
      if (!waitForEnd) {
        if (ctl.json) {
          ctl.print(job);
        } else {
          ctl.out.printf("%s queued: snapshot %s, paths %s%s%n", id, shown(job.path("snapshot").asText()),
              String.join(" ", paths.isEmpty() ? List.of("/") : paths), pin ? ", pinned" : "");
        }
        return 0;
      }
      JobProgress progress = new JobProgress(ctl.out, ctl.terminal && !ctl.json);
      while (true) {
        job = api.get("/api/jobs/" + id);
        String state = job.path("state").asText();
        boolean finished = !state.equals("QUEUED") && !state.equals("RUNNING");
        if (!ctl.json) {
          progress.update(job, finished);
        }
        if (finished) {
          break;
        }
        try {
          Thread.sleep(ctl.pollMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ProxyCtlException("interrupted; job " + id + " goes on (proxyctl jobs cancel " + id + ")");
        }
      }
      if (ctl.json) {
        ctl.print(job);
      } else {
        progress.summary(job);
      }
      if (!job.path("state").asText().equals("DONE")) {
        String why = job.path("error").asText();
        throw new ProxyCtlException("job " + id + " " + job.path("state").asText().toLowerCase(Locale.ROOT)
            + (why.isEmpty() ? "" : ": " + why));
      }
      return 0;
    }
  }

  static String shown(String snapshot) {
    return snapshot.isEmpty() ? "(live)" : snapshot;
  }

  /** Base of the commands that act on one path: pin, unpin, invalidate. */
  abstract static class PathSub extends Sub {
    @Parameters(index = "0", paramLabel = "PATH", description = "a volume path, e.g. /projects/app")
    String path;

    abstract String endpoint();

    abstract String verb();

    @Override
    int execute(AdminClient api) {
      JsonNode r = api.post(endpoint(), Map.of("path", path));
      if (ctl.json) {
        ctl.print(r);
      } else {
        ctl.out.println(describe(verb(), r, path));
      }
      return 0;
    }
  }

  static String describe(String verb, JsonNode r, String where) {
    if (r.path("blocks").asLong() == 0 && r.path("attributes").asLong() > 0) {
      return verb + " " + r.path("attributes").asLong() + " cached attribute entries under " + where;
    }
    return String.format(Locale.ROOT, "%s %,d blocks (%s) under %s", verb, r.path("blocks").asLong(),
        Units.bytes(r.path("bytes").asLong()), where);
  }

  @Command(name = "pin", mixinStandardHelpOptions = true,
      description = "Pins the blocks of the live files under PATH (never evicted; cached or fetched later).",
      footer = {"", "Example:", "  proxyctl pin /projects/app   # then: proxyctl warm --snapshot '' --path /projects/app"})
  static final class Pin extends PathSub {
    @Override
    String endpoint() {
      return "/api/pin";
    }

    @Override
    String verb() {
      return "pinned";
    }
  }

  @Command(name = "unpin", mixinStandardHelpOptions = true,
      description = "Unpins the blocks of the live files under PATH (evictable again).",
      footer = {"", "Example:", "  proxyctl unpin /projects/app"})
  static final class Unpin extends PathSub {
    @Override
    String endpoint() {
      return "/api/unpin";
    }

    @Override
    String verb() {
      return "unpinned";
    }
  }

  @Command(name = "invalidate", mixinStandardHelpOptions = true,
      description = "Drops the cached attributes and listings under PATH (asked of the origin again).",
      footer = {"", "Example:", "  proxyctl invalidate /projects"})
  static final class Invalidate extends PathSub {
    @Override
    String endpoint() {
      return "/api/invalidate";
    }

    @Override
    String verb() {
      return "invalidated";
    }
  }

  @Command(name = "evict", mixinStandardHelpOptions = true,
      description = "Drops cached blocks of the live files under PATH, or all with --all. Pinned blocks stay.",
      footer = {"", "Examples:", "  proxyctl evict /projects/old", "  proxyctl evict --all"})
  static final class Evict extends Sub {
    @Parameters(index = "0", arity = "0..1", paramLabel = "PATH", description = "a volume path")
    String path;

    @Option(names = "--all", description = "every unpinned block")
    boolean all;

    @Override
    int execute(AdminClient api) {
      if (all == (path != null)) {
        throw new CommandLine.ParameterException(ctl.spec.commandLine(), "evict needs PATH or --all (not both)");
      }
      JsonNode r = api.post("/api/evict", all ? Map.of("all", true) : Map.of("path", path));
      if (ctl.json) {
        ctl.print(r);
      } else {
        ctl.out.println(describe("evicted", r, all ? "/ (all unpinned)" : path));
      }
      return 0;
    }
  }

  @Command(name = "jobs", mixinStandardHelpOptions = true, description = "Lists warm jobs.",
      subcommands = {Jobs.Cancel.class},
      footer = {"", "Examples:", "  proxyctl jobs", "  proxyctl jobs cancel warm-3"})
  static final class Jobs extends Sub {
    @Override
    int execute(AdminClient api) {
      JsonNode jobs = api.get("/api/jobs");
      if (ctl.json) {
        ctl.print(jobs);
        return 0;
      }
      ctl.out.printf("%-10s %-9s %-24s %-6s %9s %9s %9s  %s%n", "ID", "STATE", "SNAPSHOT", "PIN", "PRESENT", "FETCHED",
          "FAILED", "PATHS");
      for (JsonNode j : jobs) {
        List<String> ps = new ArrayList<>();
        j.path("paths").forEach(p -> ps.add(p.asText()));
        ctl.out.printf("%-10s %-9s %-24s %-6s %9d %9d %9d  %s%n", j.path("id").asText(), j.path("state").asText(),
            shown(j.path("snapshot").asText()), j.path("pin").asBoolean() ? "yes" : "no",
            j.path("blocksPresent").asLong(), j.path("blocksFetched").asLong(), j.path("blocksFailed").asLong(),
            String.join(" ", ps));
      }
      return 0;
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancels a queued or running job.",
        footer = {"", "Example:", "  proxyctl jobs cancel warm-3"})
    static final class Cancel implements Callable<Integer> {
      @CommandLine.ParentCommand
      Jobs jobs;

      @Parameters(index = "0", paramLabel = "ID", description = "the job's id (see proxyctl jobs)")
      String id;

      @Override
      public Integer call() {
        ProxyCtl ctl = jobs.ctl;
        if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
          throw new ProxyCtlException("no job " + id);
        }
        JsonNode j = ctl.client().post("/api/jobs/" + id + "/cancel", null);
        if (ctl.json) {
          ctl.print(j);
        } else {
          ctl.out.println(id + " " + j.path("state").asText());
        }
        return 0;
      }
    }
  }
}
