package dev.outpost.transport;

import java.time.Instant;

/**
 * Who a session acts for, as established from its access token.
 *
 * @param subject who the token was issued to
 * @param access what the token allows
 * @param expiresAt when the token stops being valid; checked on every request
 */
public record Principal(String subject, Access access, Instant expiresAt) {
  /** What a token allows; each level includes the ones before it. */
  public enum Access {
    READ,
    WRITE,
    ADMIN;

    public boolean allows(Access needed) {
      return compareTo(needed) >= 0;
    }
  }
}
