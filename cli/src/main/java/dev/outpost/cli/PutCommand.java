package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.client.WriteReport;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.FileType;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "put", mixinStandardHelpOptions = true,
    description = "Upload a file (only blocks the server lacks are sent); keeps the local mtime.",
    footer = {"%nExample:", "  outpost put ./report.pdf /projects/"})
final class PutCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "LOCAL")
  Path local;

  @Parameters(index = "1", paramLabel = "REMOTE", description = "File, or an existing directory.")
  String remote;

  @Option(names = "--lease", paramLabel = "TOKEN", defaultValue = "0",
      description = "Under this lease (from `outpost lease acquire`, or $OUTPOST_LEASE_TOKEN in `outpost lease run`): "
          + "refused with exit 4 unless it is the current lease covering the path.")
  long lease;

  @Override
  int run(OutpostClient client) {
    if (!Files.isRegularFile(local)) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "no such local file: " + local);
    }
    String target = remote;
    if (remote.endsWith("/") && remote.length() > 1) {
      target = remote.substring(0, remote.length() - 1);
    }
    if (remote.endsWith("/") || client.statIfExists(target).map(a -> a.type() == FileType.DIRECTORY).orElse(false)) {
      target = VolumePath.join(target, local.getFileName().toString());
    }
    WriteReport r = client.upload(local, target, WriteOptions.DEFAULTS.withLeaseToken(lease));
    main.out.println("put " + local + " -> " + target + ": " + Bytes.human(r.bytesRead()) + " read, "
        + Bytes.human(r.bytesUploaded()) + " uploaded (" + r.blocksUploaded() + " of " + r.blocksTotal()
        + " blocks sent), version " + r.attr().version());
    return 0;
  }
}
