package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
  static final CertificateAuthority CA =
      CertificateAuthority.create("Outpost test CA", Duration.ofDays(3650), Clock.systemUTC(), new SecureRandom());
  static final Supplier<PrivateKey> CA_KEY_FOR_TESTS =
      () -> CA.issue("any", List.of(), true, false, Duration.ofDays(1)).key();

  @Test
  void serverCertificateFor127001IsAcceptedAsSignedByTheCa() throws Exception {
    IssuedCertificate server = CA.issue("origin", List.of("127.0.0.1", "localhost", "::1"), true, false, Duration.ofDays(30));
    X509Certificate leaf = server.certificate();
    leaf.verify(CA.certificate().getPublicKey());
    assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(leaf.getSubjectAlternativeNames().stream().map(l -> (Object) l.get(1)).toList())
        .containsExactly("127.0.0.1", "localhost", "0:0:0:0:0:0:0:1");

    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(CA.certificate(), null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(
        CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);

    params.setDate(Date.from(java.time.Instant.now().plus(Duration.ofDays(31))));
    assertThatThrownBy(() -> CertPathValidator.getInstance("PKIX").validate(
        CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params))
        .isInstanceOf(java.security.cert.CertPathValidatorException.class);
  }

  @Test
  void aJdkTlsClientCompletesAHandshakeWithTheIssuedCertificate(@TempDir Path dir) throws Exception {
    IssuedCertificate server = CA.issue("origin", List.of("127.0.0.1"), true, false, Duration.ofDays(30));
    server.writePem(dir.resolve("chain.pem"), dir.resolve("key.pem"));
    assertThat(Files.readString(dir.resolve("key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
    List<X509Certificate> chain = PemFiles.readCertificates(dir.resolve("chain.pem"));
    PrivateKey key = PemFiles.readPrivateKey(dir.resolve("key.pem"));

    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", key, new char[0], chain.toArray(X509Certificate[]::new));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, new char[0]);
    SSLContext serverCtx = SSLContext.getInstance("TLSv1.3");
    serverCtx.init(kmf.getKeyManagers(), null, null);

    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", PemFiles.parseCertificates(PemFiles.certificatesPem(List.of(CA.certificate()))).getFirst());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ts);
    SSLContext clientCtx = SSLContext.getInstance("TLSv1.3");
    clientCtx.init(null, tmf.getTrustManagers(), null);

    SSLEngine client = clientCtx.createSSLEngine("127.0.0.1", 443);
    client.setUseClientMode(true);
    SSLParameters p = client.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    client.setSSLParameters(p);
    SSLEngine srv = serverCtx.createSSLEngine();
    srv.setUseClientMode(false);
    handshake(client, srv);
    assertThat(client.getSession().getPeerCertificates()[0]).isEqualTo(chain.getFirst());
  }

  /** Runs both engines in memory until neither needs to wrap, unwrap or run a task. */
  static void handshake(SSLEngine a, SSLEngine b) throws Exception {
    int size = 64 * 1024;
    ByteBuffer aToB = ByteBuffer.allocate(size);
    ByteBuffer bToA = ByteBuffer.allocate(size);
    ByteBuffer sink = ByteBuffer.allocate(size);
    ByteBuffer empty = ByteBuffer.allocate(0);
    a.beginHandshake();
    b.beginHandshake();
    for (int round = 0; round < 100; round++) {
      step(a, empty, aToB, bToA, sink);
      step(b, empty, bToA, aToB, sink);
      if (done(a) && done(b)) {
        return;
      }
    }
    throw new AssertionError("handshake did not finish");
  }

  private static boolean done(SSLEngine e) {
    SSLEngineResult.HandshakeStatus s = e.getHandshakeStatus();
    return s == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || s == SSLEngineResult.HandshakeStatus.FINISHED;
  }

  private static void step(SSLEngine e, ByteBuffer empty, ByteBuffer out, ByteBuffer in, ByteBuffer sink) throws Exception {
    while (true) {
      switch (e.getHandshakeStatus()) {
        case NEED_TASK -> {
          Runnable t;
          while ((t = e.getDelegatedTask()) != null) {
            t.run();
          }
        }
        case NEED_WRAP -> e.wrap(empty, out);
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          in.flip();
          SSLEngineResult r = e.unwrap(in, sink);
          in.compact();
          if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW || r.bytesConsumed() == 0
              && r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_UNWRAP) {
            return;
          }
        }
        default -> {
          return;
        }
      }
    }
  }

  @Test
  void caRoundTripsThroughPemFilesAndKeepsSigning(@TempDir Path dir) throws Exception {
    CA.save(dir.resolve("ca.pem"), dir.resolve("ca.key"));
    CertificateAuthority loaded = CertificateAuthority.load(dir.resolve("ca.pem"), dir.resolve("ca.key"),
        Clock.systemUTC(), new SecureRandom());
    assertThat(loaded.certificate()).isEqualTo(CA.certificate());
    IssuedCertificate client = loaded.issue("branch-1", List.of(), false, true, Duration.ofDays(1));
    client.certificate().verify(CA.certificate().getPublicKey());
    assertThat(client.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThatThrownBy(() -> CertificateAuthority.load(client.certificate(), client.key(), Clock.systemUTC(),
        new SecureRandom())).isInstanceOfSatisfying(OutpostException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  @Test
  void badNamesAreRefused() {
    for (String san : List.of("", "300.1.1.1", "bad name", "-x.example", "1::2::3")) {
      assertThatThrownBy(() -> CA.issue("x", List.of(san), true, false, Duration.ofDays(1)))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
    assertThatThrownBy(() -> CA.issue("x", List.of(), false, false, Duration.ofDays(1)))
        .isInstanceOf(OutpostException.class);
    assertThatThrownBy(() -> CA.issue("x", List.of(), true, false, Duration.ZERO)).isInstanceOf(OutpostException.class);
  }
}
