package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.FileAttr;
import java.time.Instant;
import java.util.Optional;

/**
 * A write lost a race: the file changed on the server after the writer read its version. Nothing was
 * committed; the blocks uploaded stay at the server (unreferenced until garbage collection) and a retry
 * that re-reads the file dedups against them.
 *
 * <p>The message says what changed, e.g. {@code "/a/x changed on the server: base version 3, now 5 (size 1024,
 * mtime 2026-11-23T10:00:00Z)"}.
 */
public final class CommitConflictException extends OutpostException {
  private static final long serialVersionUID = 1L;
  private final String path;
  private final long baseVersion;
  private final transient Optional<FileAttr> current;

  public CommitConflictException(String path, long baseVersion, Optional<FileAttr> current) {
    super(ErrorCode.CONFLICT, describe(path, baseVersion, current));
    this.path = path;
    this.baseVersion = baseVersion;
    this.current = current;
  }

  public String path() {
    return path;
  }

  /** The version the write started from (0 = the file did not exist). */
  public long baseVersion() {
    return baseVersion;
  }

  /** The file's attributes at the server when the commit was refused, if known. */
  public Optional<FileAttr> current() {
    return current;
  }

  private static String describe(String path, long base, Optional<FileAttr> current) {
    String from = base == 0 ? "the file did not exist when the write started" : "base version " + base;
    return current
        .map(a -> path + " changed on the server: " + from + ", now " + a.version() + " (size " + a.size()
            + ", mtime " + Instant.ofEpochMilli(a.mtimeMillis()) + ")")
        .orElse(path + " changed on the server: " + from + ", now a different version");
  }
}
