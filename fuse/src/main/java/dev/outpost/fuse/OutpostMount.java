package dev.outpost.fuse;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.Watch;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseMountFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A volume mounted through FUSE: ordinary programs see the origin's tree at the mount point.
 *
 * <p>Semantics: close-to-open. Opening a file fetches its current attributes; reads come from that version; writes
 * stay in a local spool copy until the file is flushed (close), fsync'ed or released, and then commit as a new
 * version against the version seen at open. A file changed at the origin meanwhile fails the commit with EIO (and
 * a log line) instead of overwriting. Changes made elsewhere reach the mount through the origin's change stream,
 * which drops the mount's cached attributes and the kernel's cached attributes and pages of that path at once.
 *
 * <p>Usage (what {@code outpost mount} does):
 *
 * <pre>{@code
 * try (OutpostMount mount = OutpostMount.mount(client, Path.of("/mnt/outpost"), MountOptions.DEFAULTS)) {
 *   Runtime.getRuntime().addShutdownHook(new Thread(mount::close, "outpost-unmount"));
 *   mount.awaitUnmount(); // returns after close() or `fusermount3 -u /mnt/outpost`
 * }
 * }</pre>
 *
 * <p><b>Warning:</b> call {@link #close()} on SIGINT/SIGTERM (the shutdown hook above): it commits what open files
 * still hold and unmounts, so no stale mount ("Transport endpoint is not connected") remains. If the JVM dies
 * without it, libfuse's {@code auto_unmount} helper (fusermount3) unmounts, but uncommitted writes are lost. The
 * client stays the caller's: close it after the mount.
 *
 * <p>Thread-safe. {@link #close()} is idempotent.
 */
public final class OutpostMount implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OutpostMount.class);
  private static final long UNMOUNT_POLL_MILLIS = 500;

  private final Path mountPoint;
  private final Fuse fuse;
  private final OutpostFileSystem fs;
  private final KernelInvalidator kernel;
  private final Watch watch;
  private final Path spoolDir;
  private final CountDownLatch unmounted = new CountDownLatch(1);
  private boolean closed;

  private OutpostMount(Path mountPoint, Fuse fuse, OutpostFileSystem fs, KernelInvalidator kernel, Watch watch,
      Path spoolDir) {
    this.mountPoint = mountPoint;
    this.fuse = fuse;
    this.fs = fs;
    this.kernel = kernel;
    this.watch = watch;
    this.spoolDir = spoolDir;
  }

  /**
   * Mounts the client's volume at {@code mountPoint} (an existing, empty directory) and returns once the mount
   * answers.
   *
   * @throws OutpostException INVALID_ARGUMENT if the mount point is not a directory or is already a mount point,
   *     UNAVAILABLE if libfuse3 or /dev/fuse is missing or the kernel refuses the mount
   */
  public static OutpostMount mount(OutpostClient client, Path mountPoint, MountOptions options) {
    Path at;
    try {
      at = mountPoint.toRealPath();
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "mount point " + mountPoint + " does not exist", e);
    }
    if (!Files.isDirectory(at)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "mount point " + at + " is not a directory");
    }
    if (isMounted(at)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, at + " is already a mount point (a stale mount? "
          + "unmount it with: fusermount3 -u " + at + ")");
    }
    if (!Files.exists(Path.of("/dev/fuse"))) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, "cannot mount at " + at + ": /dev/fuse is missing (load the fuse kernel module)");
    }
    Path libfuse = options.libfuse();
    if (!Files.isReadable(libfuse)) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, "cannot mount at " + at + ": libfuse3 not found at " + libfuse
          + " (install fuse3, or give its path)");
    }
    Path spool = createSpool(options);
    Watch watch = null;
    Fuse fuse = null;
    try {
      KernelInvalidator kernel = new KernelInvalidator(libfuse);
      FuseBuilder builder = Fuse.builder();
      builder.setLibraryPath(libfuse.toString());
      OutpostFileSystem fs = new OutpostFileSystem(client, options, builder.errno(), kernel, spool, currentId("uid"),
          currentId("gid"));
      fuse = builder.build(fs);
      // Subscribe before mounting, so nothing that changes while the mount starts is missed.
      watch = client.watch(VolumePath.ROOT, client.welcome().journalSeq(), fs);
      fuse.mount("outpost", at, fuseFlags(client, options));
      log.info("mounted volume {} at {}{}", client.welcome().volume(), at, options.readOnly() ? " (read-only)" : "");
      return new OutpostMount(at, fuse, fs, kernel, watch, spool);
    } catch (FuseMountFailedException | RuntimeException | UnsatisfiedLinkError e) {
      if (watch != null) {
        watch.close();
      }
      if (fuse != null) {
        closeQuietly(fuse);
      }
      deleteTree(spool);
      if (e instanceof OutpostException oe) {
        throw oe;
      }
      throw new OutpostException(ErrorCode.UNAVAILABLE, "cannot mount at " + at + ": " + e.getMessage(), e);
    }
  }

  /** The canonical mount point. */
  public Path mountPoint() {
    return mountPoint;
  }

  /**
   * Blocks until the volume is unmounted: by {@link #close()}, or from outside ({@code fusermount3 -u}, {@code
   * umount}), in which case this cleans up as {@link #close()} does.
   */
  public void awaitUnmount() throws InterruptedException {
    while (!unmounted.await(UNMOUNT_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
      if (!isMounted(mountPoint)) {
        log.info("{} was unmounted from outside", mountPoint);
        close();
      }
    }
  }

  /** Whether the mount is still in place (false after {@link #close()} or an unmount from outside). */
  public boolean isMounted() {
    return unmounted.getCount() > 0 && isMounted(mountPoint);
  }

  /**
   * Stops following changes, unmounts (waiting for the FUSE threads to finish), commits what open files still
   * hold and removes the spool directory. Idempotent; safe from a shutdown hook.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      watch.close();
    } catch (RuntimeException e) {
      log.debug("closing the change watch failed: {}", e.toString());
    }
    // Invalidations must stop before libfuse frees the session.
    kernel.disable();
    closeQuietly(fuse);
    fs.closeAll();
    deleteTree(spoolDir);
    unmounted.countDown();
    log.info("unmounted {}", mountPoint);
  }

  private static void closeQuietly(Fuse fuse) {
    try {
      fuse.close();
    } catch (TimeoutException e) {
      log.warn("the FUSE loop did not stop in time; the mount may need: fusermount3 -u");
    } catch (RuntimeException e) {
      log.warn("unmount failed: {}", e.toString());
    }
  }

  private static String[] fuseFlags(OutpostClient client, MountOptions options) {
    double timeoutSeconds = options.kernelCacheTimeout().toMillis() / 1000.0;
    List<String> o = new ArrayList<>();
    o.add("fsname=outpost:" + client.welcome().volume().replaceAll("[^A-Za-z0-9._-]", "_"));
    o.add("subtype=outpost");
    // The kernel checks permission bits against the caller, as on a local file system.
    o.add("default_permissions");
    // If the JVM dies without close(), the fusermount3 helper unmounts instead of leaving a dead mount point.
    o.add("auto_unmount");
    o.add("attr_timeout=" + timeoutSeconds);
    o.add("entry_timeout=" + timeoutSeconds);
    o.add("negative_timeout=0");
    if (options.allowOther()) {
      o.add("allow_other");
    }
    if (options.readOnly()) {
      // The kernel then refuses every change with EROFS before asking the mount (O_TRUNC of a read-only open
      // included), and access(2) and mount(8) say read-only.
      o.add("ro");
    }
    return new String[] {"-o", String.join(",", o)};
  }

  /** True if {@code at} is the mount point of an entry in /proc/self/mountinfo. */
  static boolean isMounted(Path at) {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
      String wanted = at.toString();
      return lines.map(l -> l.split(" ")).filter(f -> f.length > 4).map(f -> unescape(f[4])).anyMatch(wanted::equals);
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
  }

  /** mountinfo writes space, tab, newline and backslash as three octal digits after a backslash. */
  private static String unescape(String field) {
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length()) {
        try {
          out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
          i += 3;
          continue;
        } catch (NumberFormatException e) {
          // Not an escape: keep the backslash.
        }
      }
      out.append(c);
    }
    return out.toString();
  }

  private static int currentId(String which) {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:" + which);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return 0;
    }
  }

  private static Path createSpool(MountOptions options) {
    try {
      Path parent = options.spoolDir().orElse(Path.of(System.getProperty("java.io.tmpdir")));
      Files.createDirectories(parent);
      return Files.createTempDirectory(parent, "outpost-mount-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot create the spool directory: " + e.getMessage(), e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      log.warn("cannot remove the spool directory {}: {}", dir, e.toString());
    }
  }
}
