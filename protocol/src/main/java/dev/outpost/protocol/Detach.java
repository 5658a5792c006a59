package dev.outpost.protocol;

/**
 * Closes a session opened by {@link Attach}. Answered by {@link Ok}.
 *
 * @param session non-zero
 */
public record Detach(int session) implements Request {
  public Detach {
    if (session == 0) {
      throw Invariants.invalid("session 0 cannot be detached");
    }
  }
}
