package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;

/**
 * Signs access tokens with Ed25519 into the compact form {@code opt1.<base64url payload>.<base64url
 * signature>}; the signature covers the ASCII bytes {@code opt1.<base64url payload>}. Thread-safe (a
 * Signature per call).
 */
public final class TokenSigner {
  private final PrivateKey key;

  /** @throws OutpostException INVALID_ARGUMENT unless {@code key} is an Ed25519 private key */
  public TokenSigner(PrivateKey key) {
    if (!isEd25519(key.getAlgorithm())) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "token signing key must be Ed25519, got " + key.getAlgorithm());
    }
    this.key = key;
  }

  /** A new Ed25519 key pair for token signing. */
  public static KeyPair generateKeyPair(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      g.initialize(255, random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "JDK lacks Ed25519", e);
    }
  }

  public String sign(AccessToken token) {
    String signed = Tokens.PREFIX + Tokens.b64(Tokens.encodePayload(token));
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(signed.getBytes(StandardCharsets.US_ASCII));
      return signed + "." + Tokens.b64(s.sign());
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "Ed25519 signing failed", e);
    }
  }

  static boolean isEd25519(String algorithm) {
    return algorithm.equals("Ed25519") || algorithm.equals("EdDSA");
  }
}
