package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ls", mixinStandardHelpOptions = true, description = "List a directory (or show one entry).",
    footer = {"%nExample:", "  outpost ls -l /projects"})
final class LsCommand extends ClientCommand {
  @Parameters(index = "0", defaultValue = "/", paramLabel = "PATH", description = "Directory or file (default /).")
  String path;

  @Option(names = "-l", description = "Long format: mode, size, mtime (UTC), version, name.")
  boolean longFormat;

  @Option(names = "--json", description = "One JSON object per line.")
  boolean json;

  @Override
  int run(OutpostClient client) {
    FileAttr attr = client.stat(path);
    if (attr.type() != FileType.DIRECTORY) {
      print(path, VolumePath.name(path), attr);
      return 0;
    }
    for (DirEntry e : client.list(path)) {
      print(VolumePath.join(path, e.name()), e.name(), e.attr());
    }
    return 0;
  }

  private void print(String full, String name, FileAttr a) {
    if (json) {
      main.out.println(Entries.json(full, a));
    } else if (longFormat) {
      main.out.println(Entries.longLine(name, a));
    } else {
      main.out.println(a.type() == FileType.DIRECTORY ? name + "/" : name);
    }
  }
}
