package dev.outpost.protocol;

import dev.outpost.core.Utf8;
import java.util.List;

/**
 * One batch of a {@link DiffPaths} answer. The sender sizes batches so a frame stays below the peer's frame
 * limit ({@link #wireBytes} of each change), at most {@value #MAX_CHANGES} changes.
 *
 * @param changes an immutable copy, possibly empty
 */
public record PathChanges(List<PathChange> changes) implements Reply {
  public static final int MAX_CHANGES = 4096;

  public PathChanges {
    changes = Invariants.list(changes, 0, MAX_CHANGES, "path changes");
  }

  /** The bytes {@code c} takes in a frame body: u8 kind, i64 inode, u8 type, two strings. */
  public static int wireBytes(PathChange c) {
    return 1 + 8 + 1 + 2 + Utf8.length(c.path()) + 2 + Utf8.length(c.fromPath());
  }
}
