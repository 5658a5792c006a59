package dev.outpost.protocol;

/**
 * Removes a file or symlink. Answered by {@link Ok}.
 *
 * @param path the entry to remove
 */
public record Unlink(String path) implements Request {
  public Unlink {
    Invariants.path(path);
  }
}
