package dev.outpost.protocol;

/**
 * Moves an entry, replacing a file at the destination. Answered by {@link Ok}.
 *
 * @param from the entry to move
 * @param to its new path
 */
public record Rename(String from, String to) implements Request {
  public Rename {
    Invariants.path(from);
    Invariants.path(to);
  }
}
