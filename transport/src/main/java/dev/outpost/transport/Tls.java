package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLException;

/** TLS contexts from PEM files: a CA certificate to trust, and this end's certificate chain and key. */
public final class Tls {
  private Tls() {}

  /**
   * @param caCert the CA that signs peers' certificates
   * @param cert this end's certificate chain (PEM)
   * @param key this end's unencrypted PKCS#8 key (PEM)
   */
  public record KeyMaterial(Path caCert, Path cert, Path key) {}

  /** A server context; with {@code requireClientCerts} peers must present a certificate signed by the CA. */
  public static SslContext server(KeyMaterial files, boolean requireClientCerts) {
    try {
      return SslContextBuilder.forServer(existing(files.cert()), existing(files.key()))
          .trustManager(existing(files.caCert()))
          .clientAuth(requireClientCerts ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL)
          .protocols("TLSv1.3")
          .build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot load TLS files " + files + ": " + e.getMessage(), e);
    }
  }

  /** A client context trusting {@code caCert}, presenting {@code own} when given (mutual TLS). */
  public static SslContext client(Path caCert, Optional<KeyMaterial> own) {
    try {
      SslContextBuilder b = SslContextBuilder.forClient().trustManager(existing(caCert)).protocols("TLSv1.3")
          .endpointIdentificationAlgorithm("HTTPS");
      if (own.isPresent()) {
        b.keyManager(existing(own.get().cert()), existing(own.get().key()));
      }
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot load TLS files: " + e.getMessage(), e);
    }
  }

  private static java.io.File existing(Path p) {
    if (!Files.isReadable(p)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "TLS file not readable: " + p);
    }
    return p.toFile();
  }

  /** True if {@code p} looks like a PEM file (cheap sanity check for config validation). */
  public static boolean isPem(Path p) {
    try {
      return Files.readString(p).contains("-----BEGIN ");
    } catch (IOException e) {
      return false;
    }
  }
}
