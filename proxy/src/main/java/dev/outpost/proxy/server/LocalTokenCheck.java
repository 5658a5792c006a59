package dev.outpost.proxy.server;

import dev.outpost.crypto.AccessToken;
import dev.outpost.crypto.TokenVerifier;
import dev.outpost.transport.Authenticator;
import dev.outpost.transport.Principal;

/**
 * Checks client tokens locally with the origin's Ed25519 public key, so garbage, expired or foreign tokens are
 * refused without a WAN trip (and while the origin is unreachable). The transport keeps the accepted token on the
 * session ({@code Session.token()}), which the proxy ATTACHes upstream. Thread-safe.
 */
final class LocalTokenCheck implements Authenticator {
  private final TokenVerifier verifier;
  private final String volume;

  LocalTokenCheck(TokenVerifier verifier, String volume) {
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
