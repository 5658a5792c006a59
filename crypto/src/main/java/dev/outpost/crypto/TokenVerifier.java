package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Checks access tokens: length, form, Ed25519 signature, then validity at the injected clock's time.
 * Every failure is OutpostException UNAUTHORIZED with one of "malformed token: …", "bad signature", "token
 * expired at …", "token not valid before …", "token is for volume …". Thread-safe.
 */
public final class TokenVerifier {
  /** Tolerated clock difference between signer and verifier for the issue time. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

  private final PublicKey key;
  private final Clock clock;

  /** @throws OutpostException INVALID_ARGUMENT unless {@code key} is an Ed25519 public key */
  public TokenVerifier(PublicKey key, Clock clock) {
    if (!TokenSigner.isEd25519(key.getAlgorithm())) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "token verification key must be Ed25519, got " + key.getAlgorithm());
    }
    this.key = key;
    this.clock = clock;
  }

  /** Verifies {@code token} and checks that it is for {@code volume}. */
  public AccessToken verify(String token, String volume) {
    AccessToken t = verify(token);
    if (!t.volume().equals(volume)) {
      throw new OutpostException(ErrorCode.UNAUTHORIZED, "token is for volume " + t.volume());
    }
    return t;
  }

  /** Verifies {@code token} for any volume. */
  public AccessToken verify(String token) {
    Tokens.Parts parts = Tokens.parse(token);
    boolean ok;
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(parts.signed().getBytes(StandardCharsets.US_ASCII));
      ok = s.verify(parts.signature());
    } catch (java.security.SignatureException e) {
      ok = false;
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "Ed25519 verification failed", e);
    }
    if (!ok) {
      throw new OutpostException(ErrorCode.UNAUTHORIZED, "bad signature");
    }
    AccessToken t = Tokens.decodePayload(parts.payload());
    Instant now = clock.instant();
    if (!now.isBefore(t.expiresAt())) {
      throw new OutpostException(ErrorCode.UNAUTHORIZED, "token expired at " + t.expiresAt());
    }
    if (t.issuedAt().isAfter(now.plus(MAX_CLOCK_SKEW))) {
      throw new OutpostException(ErrorCode.UNAUTHORIZED, "token not valid before " + t.issuedAt());
    }
    return t;
  }
}
