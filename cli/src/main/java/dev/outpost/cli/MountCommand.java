package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import dev.outpost.fuse.MountOptions;
import dev.outpost.fuse.OutpostMount;
import dev.outpost.program.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "mount", mixinStandardHelpOptions = true,
    description = "Mount the volume with FUSE until Ctrl-C (or SIGTERM, or fusermount3 -u): ordinary programs "
        + "read and write it; writes are committed on close/fsync, changes from others show up at once.",
    footer = {"%nStopping refuses new calls (EIO), gives running calls and files still open --stop-timeout to get "
        + "their answers, cancels what still waits for the server (an open file not committed then is lost, and "
        + "the log says which), unmounts, and exits 143 after SIGTERM, 130 after Ctrl-C, 0 after fusermount3 -u.",
        "%nExample:", "  outpost mount 127.0.0.1:7443 /mnt/projects --config client.yaml",
        "  outpost mount 127.0.0.1:7443 /mnt/projects --read-only --config client.yaml"})
final class MountCommand implements Callable<Integer> {
  @Mixin
  ClientOptions options;

  @Spec
  CommandSpec spec;

  @ParentCommand
  OutpostMain main;

  @Parameters(index = "0", paramLabel = "ADDRESS", description = "Origin or branch proxy (HOST:PORT).")
  String address;

  @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "An existing empty directory.")
  Path mountPoint;

  @Option(names = "--read-only", description = "Mount read-only: every change fails with EROFS at the call "
      + "(a read-only token is refused with EACCES even without it).")
  boolean readOnly;

  @Option(names = "--stop-timeout", paramLabel = "SECONDS", description = "How long stopping waits for the "
      + "server to answer running calls and take files still open (default "
      + MountOptions.DEFAULT_STOP_TIMEOUT_SECONDS + "; 0.." + MountOptions.MAX_STOP_TIMEOUT_SECONDS + ").")
  Long stopTimeoutSeconds;

  @Option(names = "--lock-ttl", defaultValue = "30s", converter = Durations.class,
      description = "Lifetime of the leases behind flock/fcntl locks, renewed while kept (default ${DEFAULT-VALUE}): "
          + "a holder cut off from the origin loses its lock after about this long.")
  Duration lockTtl;

  @Option(names = "--lock-wait", defaultValue = "60s", converter = Durations.class,
      description = "How long a blocking lock waits for another holder at most, then ENOLCK (default ${DEFAULT-VALUE}).")
  Duration lockWait;

  @Override
  public Integer call() throws Exception {
    MountOptions mountOptions = MountOptions.DEFAULTS.withReadOnly(readOnly).withLockTtl(lockTtl).withLockWait(lockWait);
    if (stopTimeoutSeconds != null) {
      if (stopTimeoutSeconds < 0 || stopTimeoutSeconds > MountOptions.MAX_STOP_TIMEOUT_SECONDS) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--stop-timeout: " + stopTimeoutSeconds
            + " is not valid (expected 0.." + MountOptions.MAX_STOP_TIMEOUT_SECONDS + " seconds)");
      }
      mountOptions = mountOptions.withStopTimeout(Duration.ofSeconds(stopTimeoutSeconds));
    }
    options.server = address;
    try (OutpostClient client = options.connect(spec.commandLine());
        OutpostMount mount = OutpostMount.mount(client, mountPoint, mountOptions)) {
      // SIGINT/SIGTERM run shutdown hooks: unmount there so no stale mount is left behind.
      Thread unmount = new Thread(mount::close, "outpost-unmount");
      Runtime.getRuntime().addShutdownHook(unmount);
      main.out.println("mounted " + address + " on " + mountPoint + (readOnly ? " (read-only)" : "")
          + "; Ctrl-C unmounts");
      main.out.flush();
      mount.awaitUnmount();
      try {
        Runtime.getRuntime().removeShutdownHook(unmount);
      } catch (IllegalStateException shuttingDown) {
        // the hook is already running
      }
    }
    return 0;
  }
}
