package dev.outpost.protocol;

/**
 * Opens a session on this connection with its own token, so a proxy can multiplex many clients on one
 * upstream connection. Answered by {@link Attached}.
 *
 * @param token the access token of the client the session acts for
 */
public record Attach(String token) implements Request {
  public Attach {
    Invariants.text(token, "token");
  }

  @Override
  public String toString() {
    return "Attach[]";
  }
}
