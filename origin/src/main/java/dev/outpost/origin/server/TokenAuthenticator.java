package dev.outpost.origin.server;

import dev.outpost.crypto.AccessToken;
import dev.outpost.crypto.TokenVerifier;
import dev.outpost.transport.Authenticator;
import dev.outpost.transport.Principal;

/**
 * Accepts tokens signed with the origin's Ed25519 key for this volume: RO → READ, RW → WRITE, ADMIN → ADMIN.
 * Every failure is UNAUTHORIZED with the verifier's one-line reason. Thread-safe.
 */
public final class TokenAuthenticator implements Authenticator {
  private final TokenVerifier verifier;
  private final String volume;

  public TokenAuthenticator(TokenVerifier verifier, String volume) {
    this.verifier = verifier;
    this.volume = volume;
  }

  @Override
  public Principal authenticate(String token) {
    AccessToken t = verifier.verify(token, volume);
    Principal.Access access = switch (t.mode()) {
      case RO -> Principal.Access.READ;
      case RW -> Principal.Access.WRITE;
      case ADMIN -> Principal.Access.ADMIN;
    };
    return new Principal(t.subject(), access, t.expiresAt());
  }
}
