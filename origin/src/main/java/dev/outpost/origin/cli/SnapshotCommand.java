package dev.outpost.origin.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.SnapshotCreate;
import dev.outpost.protocol.SnapshotDelete;
import dev.outpost.protocol.SnapshotInfo;
import dev.outpost.protocol.SnapshotList;
import dev.outpost.protocol.Snapshots;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "snapshot", mixinStandardHelpOptions = true,
    description = "Snapshots of the running origin's volume (over the protocol; create and delete need an admin token).",
    subcommands = {SnapshotCommand.Create.class, SnapshotCommand.ListCmd.class, SnapshotCommand.Delete.class})
final class SnapshotCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (create, list, delete)");
  }

  static Map<String, Object> json(SnapshotInfo s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.name());
    m.put("seq", s.seq());
    m.put("createdAt", Instant.ofEpochMilli(s.createdAtMillis()).toString());
    return m;
  }

  static void print(Io io, boolean json, List<SnapshotInfo> snapshots) throws Exception {
    if (json) {
      List<Map<String, Object>> out = new ArrayList<>();
      snapshots.forEach(s -> out.add(json(s)));
      io.out().println(new ObjectMapper().writeValueAsString(out));
      return;
    }
    io.out().printf("%-40s %12s  %s%n", "NAME", "SEQ", "CREATED");
    for (SnapshotInfo s : snapshots) {
      io.out().printf("%-40s %12d  %s%n", s.name(), s.seq(), Instant.ofEpochMilli(s.createdAtMillis()));
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Takes a snapshot of the live volume.",
      footer = {"", "Examples:",
          "  outpost-origin snapshot create nightly-2026-11-23 --data /var/lib/outpost/origin --token-file admin.token",
          "  outpost-origin snapshot create --auto --data /var/lib/outpost/origin --token-file admin.token --json"})
  static final class Create implements Callable<Integer> {
    private final Io io;

    @Mixin
    ServerOptions server;

    static final class Naming {
      @Parameters(index = "0", arity = "1", description = "the snapshot's name: 1..64 of [A-Za-z0-9._-]")
      String name;

      @Option(names = "--auto", required = true, description = "name it from the time, by --pattern")
      boolean auto;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Naming naming;

    @Option(names = "--pattern", defaultValue = OriginConfigLoader.DEFAULT_SNAPSHOT_PATTERN,
        description = "java.time pattern for --auto names (default ${DEFAULT-VALUE})")
    String pattern;

    @Option(names = "--config", description = "take --auto's pattern from this origin config (snapshots.autoNamePattern)")
    Path config;

    Create(Io io) {
      this.io = io;
    }

    @Override
    public Integer call() throws Exception {
      String name = naming.name;
      if (naming.auto) {
        String p = config != null ? OriginConfigLoader.load(io.workDir().resolve(config)).snapshots().autoNamePattern() : pattern;
        name = OriginConfigLoader.autoSnapshotName(p, ZonedDateTime.now(io.clock()));
      }
      SnapshotCreate request = new SnapshotCreate(name);
      try (ServerOptions.Connection c = server.connect(io)) {
        Snapshots created = c.call(request, Snapshots.class);
        if (server.json) {
          print(io, true, created.snapshots());
        } else {
          for (SnapshotInfo s : created.snapshots()) {
            io.out().println("snapshot " + s.name() + " created at journal seq " + s.seq());
          }
        }
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the volume's snapshots.",
      footer = {"", "Example:", "  outpost-origin snapshot list --data /var/lib/outpost/origin --token-file admin.token --json"})
  static final class ListCmd implements Callable<Integer> {
    private final Io io;

    @Mixin
    ServerOptions server;

    ListCmd(Io io) {
      this.io = io;
    }

    @Override
    public Integer call() throws Exception {
      try (ServerOptions.Connection c = server.connect(io)) {
        print(io, server.json, c.call(new SnapshotList(), Snapshots.class).snapshots());
      }
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Deletes a snapshot; blocks only it referenced become garbage.",
      footer = {"", "Example:", "  outpost-origin snapshot delete nightly-2026-11-01 --data /var/lib/outpost/origin --token-file admin.token"})
  static final class Delete implements Callable<Integer> {
    private final Io io;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", description = "the snapshot to delete")
    String name;

    Delete(Io io) {
      this.io = io;
    }

    @Override
    public Integer call() throws Exception {
      SnapshotDelete request = new SnapshotDelete(name);
      try (ServerOptions.Connection c = server.connect(io)) {
        c.call(request, Ok.class);
      }
      if (server.json) {
        io.out().println(new ObjectMapper().writeValueAsString(Map.of("deleted", name)));
      } else {
        io.out().println("snapshot " + name + " deleted");
      }
      return 0;
    }
  }
}
