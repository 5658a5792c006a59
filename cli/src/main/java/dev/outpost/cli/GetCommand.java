package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import dev.outpost.core.VolumePath;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "get", mixinStandardHelpOptions = true, description = "Download a file.",
    footer = {"%nExample:", "  outpost get /projects/report.pdf ~/Downloads/"})
final class GetCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "REMOTE")
  String remote;

  @Parameters(index = "1", arity = "0..1", paramLabel = "LOCAL", description = "File or directory (default: .).")
  Path local;

  @Override
  int run(OutpostClient client) {
    Path target = local == null ? Path.of(VolumePath.name(remote)) : local;
    if (Files.isDirectory(target)) {
      target = target.resolve(VolumePath.name(remote));
    }
    long start = System.nanoTime();
    long n = client.download(remote, target);
    double secs = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
    main.out.println("get " + remote + " -> " + target + ": " + Bytes.human(n) + " in "
        + String.format(java.util.Locale.ROOT, "%.2f s (%s/s)", secs, Bytes.human((long) (n / secs))));
    return 0;
  }
}
