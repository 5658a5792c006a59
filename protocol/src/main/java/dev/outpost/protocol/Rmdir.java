package dev.outpost.protocol;

/**
 * Removes an empty directory. Answered by {@link Ok}.
 *
 * @param path the directory to remove
 */
public record Rmdir(String path) implements Request {
  public Rmdir {
    Invariants.path(path);
  }
}
