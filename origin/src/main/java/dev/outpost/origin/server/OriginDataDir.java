package dev.outpost.origin.server;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.PemFiles;
import dev.outpost.crypto.TokenSigner;
import dev.outpost.crypto.TokenVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;

/**
 * Where things live in an origin's data directory. The directory holds ciphertext, metadata and the origin's
 * own keys (token signing, TLS) — never a volume key.
 *
 * <pre>
 * DIR/volume/          LMDB environment of the volume
 * DIR/volume-name      the volume's name, for tools that must not open the environment (token issue)
 * DIR/signing.key      Ed25519 private key signing access tokens (0600)
 * DIR/signing.pub      its public key, for proxies that check tokens offline
 * DIR/lease-epoch      lease token high-water mark
 * DIR/tls/ca.pem, ca.key          the deployment's CA
 * DIR/tls/server.pem, server.key  the origin's certificate (127.0.0.1, localhost)
 * DIR/tls/proxy.pem, proxy.key    a client certificate for proxies
 * </pre>
 */
public record OriginDataDir(Path root) {
  public Path volume() {
    return root.resolve("volume");
  }

  public Path volumeNameFile() {
    return root.resolve("volume-name");
  }

  /** The volume's name as {@code init} recorded it. */
  public String volumeName() {
    try {
      return Files.readString(volumeNameFile()).strip();
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "cannot read " + volumeNameFile() + ": " + e.getMessage(), e);
    }
  }

  public Path signingKey() {
    return root.resolve("signing.key");
  }

  public Path signingPublicKey() {
    return root.resolve("signing.pub");
  }

  public Path tls() {
    return root.resolve("tls");
  }

  public Path caCert() {
    return tls().resolve("ca.pem");
  }

  public Path caKey() {
    return tls().resolve("ca.key");
  }

  public Path serverCert() {
    return tls().resolve("server.pem");
  }

  public Path serverKey() {
    return tls().resolve("server.key");
  }

  public Path proxyCert() {
    return tls().resolve("proxy.pem");
  }

  public Path proxyKey() {
    return tls().resolve("proxy.key");
  }

  /** True if {@code init} has run here. */
  public boolean initialised() {
    return Files.isDirectory(volume()) && Files.isRegularFile(signingKey());
  }

  /**
   * Fails unless {@code init} ran here.
   *
   * @throws OutpostException NOT_FOUND naming the directory
   */
  public OriginDataDir requireInitialised() {
    if (!initialised()) {
      throw new OutpostException(ErrorCode.NOT_FOUND,
          root + " is not an origin data directory (run 'outpost-origin init --data " + root + " --volume NAME')");
    }
    return this;
  }

  public TokenSigner signer() {
    try {
      PrivateKey key = PemFiles.readPrivateKey(signingKey());
      return new TokenSigner(key);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "cannot read signing key " + signingKey() + ": " + e.getMessage(), e);
    }
  }

  public TokenVerifier verifier(Clock clock) {
    try {
      PublicKey key = PemFiles.readPublicKey(signingPublicKey());
      return new TokenVerifier(key, clock);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.NOT_FOUND,
          "cannot read signing public key " + signingPublicKey() + ": " + e.getMessage(), e);
    }
  }
}
