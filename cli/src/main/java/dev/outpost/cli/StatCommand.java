package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.Stat;
import dev.outpost.protocol.FileAttr;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "stat", mixinStandardHelpOptions = true, description = "Show an entry's attributes.",
    footer = {"%nExample:", "  outpost stat /projects/plan.txt"})
final class StatCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "PATH")
  String path;

  @Option(names = "--json", description = "As one JSON object.")
  boolean json;

  @Override
  int run(OutpostClient client) {
    Stat stat = client.describe(path);
    FileAttr a = stat.attr();
    if (json) {
      main.out.println(Entries.json(path, a, stat.staleSince()));
      return 0;
    }
    main.out.println("path:    " + path);
    main.out.println("type:    " + a.type().name().toLowerCase(java.util.Locale.ROOT)
        + (a.linkTarget().isEmpty() ? "" : " -> " + a.linkTarget()));
    main.out.println("inode:   " + a.inode());
    main.out.println("mode:    " + String.format("%04o", a.mode()) + " (" + Entries.modeString(a) + ")");
    main.out.println("size:    " + a.size() + " (" + Bytes.human(a.size()) + ")");
    main.out.println("mtime:   " + Instant.ofEpochMilli(a.mtimeMillis()));
    main.out.println("version: " + a.version());
    a.root().ifPresent(r -> main.out.println("root:    " + r.block().hex() + " (depth " + r.depth() + ")"));
    stat.staleSince().ifPresent(t -> main.out.println("stale since " + t
        + " (the branch has not heard from the origin since; this is what it knew then)"));
    return 0;
  }
}
