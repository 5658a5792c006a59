package dev.outpost.protocol;

/**
 * The session opened by {@link Attach}; later frames name it in their session field.
 *
 * @param session non-zero (0 is the connection's own identity)
 */
public record Attached(int session) implements Reply {
  public Attached {
    if (session == 0) {
      throw Invariants.invalid("session 0 is the connection's own identity");
    }
  }
}
