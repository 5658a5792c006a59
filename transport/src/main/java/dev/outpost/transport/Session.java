package dev.outpost.transport;

import java.util.Optional;

/**
 * One identity on a connection: session 0 is the connection's own (token from HELLO); others are opened
 * with ATTACH, so a proxy can carry many clients, each with its own token, on one upstream connection.
 *
 * @param id the session number carried in every frame
 * @param principal who it acts for; empty when HELLO carried no token
 * @param token the token string the session was authenticated with (HELLO or ATTACH), present exactly when
 *     {@code principal} is: a proxy ATTACHes it upstream to act for this client. Never logged:
 *     {@link #toString} leaves it out.
 * @param connectionId a number unique to the connection within this process (for per-connection state)
 */
public record Session(int id, Optional<Principal> principal, Optional<String> token, long connectionId) {
  public Session {
    if (principal.isPresent() != token.isPresent()) {
      throw new IllegalArgumentException("a session has a token exactly when it has a principal");
    }
  }

  /** A session without a token (HELLO carried none). */
  static Session anonymous(int id, long connectionId) {
    return new Session(id, Optional.empty(), Optional.empty(), connectionId);
  }

  /** A session authenticated with {@code token}. */
  static Session authenticated(int id, Principal principal, String token, long connectionId) {
    return new Session(id, Optional.of(principal), Optional.of(token), connectionId);
  }

  @Override
  public String toString() {
    return "Session[id=" + id + ", principal=" + principal + ", connectionId=" + connectionId + "]";
  }
}
