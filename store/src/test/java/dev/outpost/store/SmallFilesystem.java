package dev.outpost.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real filesystem of a few MiB for tests that need the kernel's own ENOSPC: a tmpfs of the given size mounted over
 * a directory (which needs root, as CI has), unmounted on close. Writes past its size fail exactly as on a full disk
 * (ENOSPC, or a short write), nothing is simulated.
 *
 * <p>{@link #mountOrSkip} skips the calling test (a JUnit assumption, with the reason) only where no such filesystem
 * can be made: not root, or {@code mount} refused (a container without CAP_SYS_ADMIN).
 *
 * <p>Warning: close everything using the directory (LMDB environments, servers) before this; a busy mount is
 * detached lazily so the test still ends, and the memory is freed once the last user lets go.
 */
public final class SmallFilesystem implements AutoCloseable {
  private final Path dir;

  private SmallFilesystem(Path dir) {
    this.dir = dir;
  }

  /** Mounts a tmpfs of {@code bytes} (rounded up to pages) over {@code dir}, creating it; skips the test if impossible. */
  public static SmallFilesystem mountOrSkip(Path dir, long bytes) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Result r = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + bytes + ",mode=0700", "outpost-test", dir.toString()));
    assumeTrue(r.code() == 0, () -> "no small filesystem can be made here: mounting a " + bytes + "-byte tmpfs on " + dir
        + " as " + System.getProperty("user.name") + " failed (it needs root or CAP_SYS_ADMIN): " + r.output());
    return new SmallFilesystem(dir);
  }

  public Path dir() {
    return dir;
  }

  /** What the filesystem has left for new data, as the store sees it. */
  public long usableBytes() {
    try {
      return Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Unmounts; a mount still in use is detached lazily ({@code umount -l}) so the test ends either way. */
  @Override
  public void close() {
    Result r = run(List.of("umount", dir.toString()));
    if (r.code() != 0) {
      Result lazy = run(List.of("umount", "-l", dir.toString()));
      if (lazy.code() != 0) {
        throw new IllegalStateException("cannot unmount " + dir + ": " + r.output() + " / " + lazy.output());
      }
    }
  }

  private record Result(int code, String output) {}

  private static Result run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, String.join(" ", command) + " did not finish in 30 s");
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      return new Result(-1, String.join(" ", command) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }
}
