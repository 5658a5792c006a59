package dev.outpost.fuse;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.Watch;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 * <p>Stopping goes in order, so that no libfuse thread is inside Java when jfuse frees the upcall stubs (one that
 * is crashes the JVM): new FUSE calls are refused (EIO); those running get {@link MountOptions#stopTimeout()} to
 * finish, then the client calls they wait for are cancelled ({@link OutpostClient#cancelCalls}) and they fail
 * EIO; open files are committed while that time lasts (what is not is logged as lost); then the loop is ended,
 * the volume unmounted, and libfuse's threads joined.
 *
 * <p>Thread-safe. {@link #close()} is idempotent.
 */
public final class OutpostMount implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OutpostMount.class);
  private static final long UNMOUNT_POLL_MILLIS = 500;
  /** While stopping, past the stop timeout: how often calls still waiting for the server are cancelled. */
  private static final long CANCEL_EVERY_MILLIS = 100;
  /** How long cancelled calls get to leave Java before the stop gives up waiting for them. */
  private static final long CANCELLED_LEAVE_MILLIS = 5_000;
  /** How long the stop waits for a request to reach libfuse's workers once their loop is told to end. */
  private static final long WAKE_MILLIS = 2_000;
  private static final long WAKE_LOOKUP_EVERY_MILLIS = 200;
  private static final long WAKE_POLL_MILLIS = 5;
  /** Mounts of this JVM one at a time, so each knows which of jfuse's threads runs its loop. */
  private static final Object MOUNTING = new Object();

  private final Path mountPoint;
  private final OutpostClient client;
  private final MountOptions options;
  private final Fuse fuse;
  private final OutpostFileSystem fs;
  private final FuseSession session;
  private final UpcallGate gate;
  private final Watch watch;
  private final Path spoolDir;
  /** The thread jfuse runs libfuse's loop on, if it was found. */
  private final Optional<Thread> loop;
  /** Holds the lock upcall stubs for as long as the mount lives (freed with it by the GC). */
  private final Arena lockStubs;
  private final CountDownLatch unmounted = new CountDownLatch(1);
  private boolean closed;

  private OutpostMount(Path mountPoint, OutpostClient client, MountOptions options, Fuse fuse, OutpostFileSystem fs,
      FuseSession session, UpcallGate gate, Watch watch, Path spoolDir, Optional<Thread> loop,
      Arena lockStubs) {
    this.mountPoint = mountPoint;
    this.client = client;
    this.options = options;
    this.fuse = fuse;
    this.fs = fs;
    this.session = session;
    this.gate = gate;
    this.watch = watch;
    this.spoolDir = spoolDir;
    this.loop = loop;
    this.lockStubs = lockStubs;
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
      FuseSession session = new FuseSession(libfuse);
      UpcallGate gate = new UpcallGate();
      LockOperations lockOps = new LockOperations(libfuse);
      FuseBuilder builder = Fuse.builder();
      builder.setLibraryPath(libfuse.toString());
      OutpostFileSystem fs = new OutpostFileSystem(client, options, builder.errno(), session, gate, spool,
          currentId("uid"), currentId("gid"), lockOps::interrupted);
      fuse = builder.build(fs);
      // jfuse does not bind lock/flock: without them the kernel keeps every lock local to this machine.
      Arena lockStubs = Arena.ofAuto();
      LockOperations.bind(fuse, fs, lockStubs);
      // Subscribe before mounting, so nothing that changes while the mount starts is missed.
      watch = client.watch(VolumePath.ROOT, client.welcome().journalSeq(), fs);
      Optional<Thread> loop;
      synchronized (MOUNTING) {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        fuse.mount("outpost", at, fuseFlags(client, options));
        loop = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t))
            .filter(OutpostMount::inJfuseLoop).findFirst();
      }
      log.info("mounted volume {} at {}{}", client.welcome().volume(), at, options.readOnly() ? " (read-only)" : "");
      return new OutpostMount(at, client, options, fuse, fs, session, gate, watch, spool, loop, lockStubs);
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
   * Stops the mount, in order: refuses new FUSE calls (EIO); gives those running, and the commits of what open
   * files still hold, {@link MountOptions#stopTimeout()} to get their answers from the server, then cancels the
   * client calls still waiting (the FUSE calls fail EIO, the open files not committed are logged as lost); stops
   * following changes; ends libfuse's loop, unmounts and waits for libfuse's threads; removes the spool
   * directory. Idempotent; safe from a shutdown hook. Returns within about the stop timeout plus a few seconds.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    long startNanos = System.nanoTime();
    long deadlineNanos = startNanos + options.stopTimeout().toNanos();
    gate.shut();
    session.stopInvalidating();
    String late = "the server did not answer within the stop timeout of " + options.stopTimeout().toMillis() + " ms";
    Thread canceller = Thread.ofPlatform().name("outpost-stop-cancel").daemon()
        .start(() -> cancelFrom(deadlineNanos, late));
    boolean idle;
    try {
      if (gate.awaitIdle(deadlineNanos)) {
        // Nothing runs that could change an open file while it is committed.
        fs.commitOpenFiles(deadlineNanos, late);
      }
      closeWatch();
      idle = gate.awaitIdle(Math.max(deadlineNanos, System.nanoTime())
          + TimeUnit.MILLISECONDS.toNanos(CANCELLED_LEAVE_MILLIS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      idle = gate.running() == 0;
    } finally {
      canceller.interrupt();
    }
    if (idle) {
      unmountAndJoin();
      // What the calls that ran past the deadline left open was not committed: it is logged as lost.
      fs.commitOpenFiles(deadlineNanos, late);
      // The files' changes are in: the leases behind their locks can go (else they lapse within their ttl).
      fs.releaseLocks(deadlineNanos);
      deleteTree(spoolDir);
    } else {
      abandon(startNanos);
      // Unlinked under the running calls (their descriptors stay valid): no plaintext is left behind.
      deleteTree(spoolDir);
    }
    unmounted.countDown();
    log.info("unmounted {} in {} ms", mountPoint, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
  }

  /** Runs on its own thread: from the deadline on, fails the client calls still waiting, until interrupted. */
  private void cancelFrom(long deadlineNanos, String why) {
    try {
      TimeUnit.NANOSECONDS.sleep(deadlineNanos - System.nanoTime());
      log.warn("stopping {}: {}; cancelling the calls still waiting for it ({} FUSE calls running)", mountPoint, why,
          gate.running());
      while (true) {
        client.cancelCalls("cancelled: the mount at " + mountPoint + " is stopping and " + why
            + " (a change may or may not have been applied)");
        Thread.sleep(CANCEL_EVERY_MILLIS);
      }
    } catch (InterruptedException e) {
      // The stop has what it waited for.
    }
  }

  private void closeWatch() {
    try {
      watch.close();
    } catch (RuntimeException e) {
      log.debug("closing the change watch failed: {}", e.toString());
    }
  }

  /**
   * With no FUSE call in Java: ends libfuse's loop, unmounts, and lets jfuse free the session and the upcall stubs
   * once the loop has joined its threads. libfuse ends the loop only when a worker handles a request after
   * {@code fuse_exit}; while a process still holds the file system (an open file, a working directory) the kernel
   * may send none, and jfuse would free the stubs after 10 s under workers still waiting for requests: the next
   * one would crash the JVM. So the mount looks up a name that does not exist (again every 200 ms, each on a
   * thread of its own) until jfuse's loop thread has left the loop — or, if that thread was not found at mount,
   * until the gate has turned a request away since {@code fuse_exit}. A lookup that finds the loop ended waits for
   * the connection's end, when jfuse releases it.
   */
  private void unmountAndJoin() {
    if (session.exitLoop() && isMounted(mountPoint)) {
      // Read after fuse_exit: a worker that is refused from now on checks for the exit afterwards.
      long refusedBefore = gate.refused();
      long startNanos = System.nanoTime();
      long nextLookupNanos = startNanos;
      try {
        while (loop.map(OutpostMount::inJfuseLoop).orElseGet(() -> gate.refused() == refusedBefore)) {
          long now = System.nanoTime();
          if (now - startNanos >= TimeUnit.MILLISECONDS.toNanos(WAKE_MILLIS)) {
            log.warn("libfuse's loop did not end within {} ms of fuse_exit; unmounting anyway", WAKE_MILLIS);
            break;
          }
          if (now - nextLookupNanos >= 0) {
            Path absent = mountPoint.resolve(".outpost-stopping-" + now);
            Thread.ofPlatform().name("outpost-stop-wake").daemon().start(() -> Files.exists(absent));
            nextLookupNanos = now + TimeUnit.MILLISECONDS.toNanos(WAKE_LOOKUP_EVERY_MILLIS);
          }
          Thread.sleep(WAKE_POLL_MILLIS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    session.release();
    closeQuietly(fuse);
  }

  /**
   * FUSE calls are still in Java after their calls were cancelled (stuck in local work): freeing the upcall stubs
   * would crash the JVM, so jfuse is not closed. The mount point is detached and the loop told to end; libfuse's
   * threads and memory stay until the process ends. Open files are not touched (a running call may hold one).
   */
  private void abandon(long startNanos) {
    log.error("stopping {}: {} FUSE calls still running {} ms after the stop began; detaching the mount point and "
        + "leaving libfuse's session to the end of the process; {} open files not committed are lost", mountPoint,
        gate.running(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), fs.openFiles());
    session.exitLoop();
    session.release();
    try {
      Process p = new ProcessBuilder("fusermount3", "-u", "-z", mountPoint.toString()).redirectErrorStream(true)
          .start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (IOException e) {
      log.warn("cannot detach {}: {}", mountPoint, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether {@code t} runs libfuse's loop now (jfuse 0.7.1: {@code FuseMountImpl.loop} on its jfuse-main thread). */
  private static boolean inJfuseLoop(Thread t) {
    return t.isAlive() && Arrays.stream(t.getStackTrace())
        .anyMatch(f -> f.getClassName().startsWith("org.cryptomator.jfuse.") && f.getMethodName().equals("loop"));
  }

  private static void closeQuietly(Fuse fuse) {
    try {
      fuse.close();
    } catch (TimeoutException e) {
      log.warn("libfuse's loop did not end within 10 s of the unmount; jfuse freed its session anyway");
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
