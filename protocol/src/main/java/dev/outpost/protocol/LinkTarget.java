package dev.outpost.protocol;

/**
 * The target of a symlink, answering {@link ReadLink}.
 *
 * @param target non-empty, no NUL, at most 4096 bytes
 */
public record LinkTarget(String target) implements Reply {
  public LinkTarget {
    Invariants.linkTarget(target);
  }
}
