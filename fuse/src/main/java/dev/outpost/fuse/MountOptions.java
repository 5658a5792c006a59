package dev.outpost.fuse;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How {@link OutpostMount} mounts a volume. Immutable; values are checked here so a bad setting fails before
 * anything is mounted, naming the setting, the value and the allowed range.
 *
 * @param readOnly mount read-only in the kernel ({@code -o ro}) and refuse every change with EROFS at the call (the
 *     volume may still change at the origin, and the mount shows those changes)
 * @param kernelCacheTimeout how long the kernel may keep attributes and directory entries without asking the mount;
 *     changes reported by the origin's change stream are dropped at once regardless. 0..60 s
 * @param libfusePath libfuse3's shared library; empty = {@link #DEFAULT_LIBFUSE}
 * @param spoolDir where open files being written keep their local copy until they are committed (plaintext:
 *     the directory is created 0700); empty = the JVM's temporary directory
 * @param allowOther let users other than the one mounting access the mount (needs user_allow_other in
 *     /etc/fuse.conf unless root)
 * @param stopTimeout how long {@link OutpostMount#close()} waits for the server to answer the calls still running
 *     and the commits of files still open; what is left then is cancelled (a running call fails EIO, an
 *     uncommitted open file is lost, and the log says which). 0..{@link #MAX_STOP_TIMEOUT}
 * @param lockTtl the ttl of the leases that back flock/fcntl locks (renewed every third of it while kept); a
 *     holder cut off from the origin loses its lock after about this long. 1 s..1 h
 * @param lockWait how long a blocking lock (F_SETLKW, flock without LOCK_NB) waits for another holder at most
 *     (then ENOLCK; a signal ends it sooner with EINTR). 0..1 h
 */
public record MountOptions(boolean readOnly, Duration kernelCacheTimeout, Optional<Path> libfusePath,
    Optional<Path> spoolDir, boolean allowOther, Duration stopTimeout, Duration lockTtl, Duration lockWait) {
  /** Where Debian and Ubuntu install libfuse3 on x86-64. */
  public static final Path DEFAULT_LIBFUSE = Path.of("/usr/lib/x86_64-linux-gnu/libfuse3.so.3");
  public static final Duration MAX_KERNEL_CACHE_TIMEOUT = Duration.ofSeconds(60);
  public static final long DEFAULT_STOP_TIMEOUT_SECONDS = 10;
  public static final long MAX_STOP_TIMEOUT_SECONDS = 3600;
  public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(DEFAULT_STOP_TIMEOUT_SECONDS);
  public static final Duration MAX_STOP_TIMEOUT = Duration.ofSeconds(MAX_STOP_TIMEOUT_SECONDS);
  public static final Duration MAX_LOCK_DURATION = Duration.ofHours(1);
  public static final MountOptions DEFAULTS = new MountOptions(false, Duration.ofSeconds(1), Optional.empty(),
      Optional.empty(), false, DEFAULT_STOP_TIMEOUT, Duration.ofSeconds(30), Duration.ofSeconds(60));

  public MountOptions {
    if (kernelCacheTimeout == null || kernelCacheTimeout.isNegative()
        || kernelCacheTimeout.compareTo(MAX_KERNEL_CACHE_TIMEOUT) > 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "kernelCacheTimeout: " + kernelCacheTimeout
          + " is not valid (expected 0.." + MAX_KERNEL_CACHE_TIMEOUT.toSeconds() + " s)");
    }
    if (lockTtl == null || lockTtl.compareTo(Duration.ofSeconds(1)) < 0 || lockTtl.compareTo(MAX_LOCK_DURATION) > 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "lockTtl: " + lockTtl + " is not valid (expected 1 s.."
          + MAX_LOCK_DURATION.toSeconds() + " s)");
    }
    if (lockWait == null || lockWait.isNegative() || lockWait.compareTo(MAX_LOCK_DURATION) > 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "lockWait: " + lockWait + " is not valid (expected 0.."
          + MAX_LOCK_DURATION.toSeconds() + " s)");
    }
    if (stopTimeout == null || stopTimeout.isNegative() || stopTimeout.compareTo(MAX_STOP_TIMEOUT) > 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "stopTimeout: " + stopTimeout
          + " is not valid (expected 0.." + MAX_STOP_TIMEOUT.toSeconds() + " s)");
    }
    libfusePath = libfusePath == null ? Optional.empty() : libfusePath;
    spoolDir = spoolDir == null ? Optional.empty() : spoolDir;
  }

  public MountOptions withReadOnly(boolean ro) {
    return new MountOptions(ro, kernelCacheTimeout, libfusePath, spoolDir, allowOther, stopTimeout, lockTtl, lockWait);
  }

  public MountOptions withKernelCacheTimeout(Duration timeout) {
    return new MountOptions(readOnly, timeout, libfusePath, spoolDir, allowOther, stopTimeout, lockTtl, lockWait);
  }

  public MountOptions withLibfusePath(Path path) {
    return new MountOptions(readOnly, kernelCacheTimeout, Optional.of(path), spoolDir, allowOther,
        stopTimeout, lockTtl, lockWait);
  }

  public MountOptions withSpoolDir(Path dir) {
    return new MountOptions(readOnly, kernelCacheTimeout, libfusePath, Optional.of(dir), allowOther,
        stopTimeout, lockTtl, lockWait);
  }

  public MountOptions withAllowOther(boolean allow) {
    return new MountOptions(readOnly, kernelCacheTimeout, libfusePath, spoolDir, allow, stopTimeout, lockTtl, lockWait);
  }

  public MountOptions withStopTimeout(Duration timeout) {
    return new MountOptions(readOnly, kernelCacheTimeout, libfusePath, spoolDir, allowOther, timeout, lockTtl, lockWait);
  }

  public MountOptions withLockTtl(Duration ttl) {
    return new MountOptions(readOnly, kernelCacheTimeout, libfusePath, spoolDir, allowOther, stopTimeout, ttl,
        lockWait);
  }

  public MountOptions withLockWait(Duration wait) {
    return new MountOptions(readOnly, kernelCacheTimeout, libfusePath, spoolDir, allowOther, stopTimeout, lockTtl,
        wait);
  }

  /** The library to load: the configured one, else {@link #DEFAULT_LIBFUSE}. */
  Path libfuse() {
    return libfusePath.orElse(DEFAULT_LIBFUSE);
  }
}
