package dev.outpost.crypto;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A leaf certificate's private key and chain (leaf first, then the CA). {@link #writePem} produces the two
 * files Netty's {@code SslContextBuilder.forServer(File certChain, File key)} reads.
 */
public record IssuedCertificate(PrivateKey key, List<X509Certificate> chain) {
  public IssuedCertificate {
    chain = List.copyOf(chain);
  }

  public X509Certificate certificate() {
    return chain.getFirst();
  }

  /** Writes the chain (0644) and the unencrypted PKCS#8 key (0600). */
  public void writePem(Path chainFile, Path keyFile) throws IOException {
    PemFiles.writeCertificates(chainFile, chain);
    PemFiles.writePrivateKey(keyFile, key);
  }
}
