package dev.outpost.protocol;

/**
 * The target of a symlink, answering {@link ReadLink}.
 *
 * @param target non-empty, no NUL, at most 4096 bytes
 * @param staleSinceMillis 0 = current; otherwise the time since which the answering proxy has not heard from
 *     the origin (see {@link AttrReply#staleSinceMillis()})
 */
public record LinkTarget(String target, long staleSinceMillis) implements Reply {
  public LinkTarget {
    Invariants.linkTarget(target);
    Invariants.atLeast(staleSinceMillis, 0, "stale-since time");
  }

  /** A current target (not stale). */
  public LinkTarget(String target) {
    this(target, 0);
  }
}
