package dev.outpost.proxy.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken;
import dev.outpost.crypto.TokenVerifier;
import dev.outpost.transport.Authenticator;
import dev.outpost.transport.Principal;

/**
 * Checks client tokens locally with the origin's Ed25519 public key, so garbage, expired or foreign tokens are
 * refused without a WAN trip, and remembers each accepted token by the principal it yields, because the proxy
 * must later ATTACH that token upstream and the transport hands services only the principal. Two tokens that
 * yield the same principal (volume, subject, access, expiry) authorise identically, so either may be attached.
 * Thread-safe.
 */
final class TokenBook implements Authenticator {
  static final long MAX_PRINCIPALS = 100_000;

  private final TokenVerifier verifier;
  private final String volume;
  private final Cache<Principal, String> tokens = Caffeine.newBuilder().maximumSize(MAX_PRINCIPALS).build();

  TokenBook(TokenVerifier verifier, String volume) {
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
    Principal p = new Principal(t.subject(), access, t.expiresAt());
    tokens.put(p, token);
    return p;
  }

  /** The token a principal was established with. */
  String tokenOf(Principal p) {
    String t = tokens.getIfPresent(p);
    if (t == null) {
      throw new OutpostException(ErrorCode.UNAUTHORIZED, "session token no longer known to the proxy; reconnect");
    }
    return t;
  }
}
