package dev.outpost.cli;

import dev.outpost.client.Listing;
import dev.outpost.client.OutpostClient;
import dev.outpost.client.Stat;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import java.time.Instant;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ls", mixinStandardHelpOptions = true, description = "List a directory (or show one entry).",
    footer = {"%nExample:", "  outpost ls -l /projects"})
final class LsCommand extends ClientCommand {
  @Parameters(index = "0", defaultValue = "/", paramLabel = "PATH", description = "Directory or file (default /).")
  String path;

  @Option(names = "-l", description = "Long format: mode, size, mtime (UTC), version, name; a first line "
      + "'stale since T' when a branch cut off from the origin answered from its cache.")
  boolean longFormat;

  @Option(names = "--json", description = "One JSON object per line.")
  boolean json;

  @Override
  int run(OutpostClient client) {
    Stat stat = client.describe(path);
    if (stat.attr().type() != FileType.DIRECTORY) {
      staleLine(stat.staleSince());
      print(path, VolumePath.name(path), stat.attr(), stat.staleSince());
      return 0;
    }
    Listing listing = client.listing(path);
    staleLine(listing.staleSince());
    for (DirEntry e : listing.entries()) {
      print(VolumePath.join(path, e.name()), e.name(), e.attr(), listing.staleSince());
    }
    return 0;
  }

  /** With -l, a listing a cut-off branch answered from its cache starts with a line saying so. */
  private void staleLine(Optional<Instant> staleSince) {
    if (longFormat && !json) {
      staleSince.ifPresent(t -> main.out.println("stale since " + t + ": the branch has not heard from the origin"));
    }
  }

  private void print(String full, String name, FileAttr a, Optional<Instant> staleSince) {
    if (json) {
      main.out.println(Entries.json(full, a, staleSince));
    } else if (longFormat) {
      main.out.println(Entries.longLine(name, a));
    } else {
      main.out.println(a.type() == FileType.DIRECTORY ? name + "/" : name);
    }
  }
}
