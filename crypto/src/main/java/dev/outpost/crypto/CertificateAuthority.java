package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small self-signed certificate authority for the deployment's TLS: EC P-256 keys, ECDSA-SHA256
 * signatures, built with Bouncy Castle's certificate builder over the JDK's providers. Certificates start
 * {@link #BACKDATE} before the clock's now to tolerate skew. Serial numbers are 127 random bits.
 *
 * <p>Thread-safe. Warning: the CA key signs any certificate for any name; keep its PEM file 0600 and
 * offline where possible.
 */
public final class CertificateAuthority {
  public static final Duration BACKDATE = Duration.ofMinutes(5);

  private final X509Certificate certificate;
  private final PrivateKey key;
  private final Clock clock;
  private final SecureRandom random;

  private CertificateAuthority(X509Certificate certificate, PrivateKey key, Clock clock, SecureRandom random) {
    this.certificate = certificate;
    this.key = key;
    this.clock = clock;
    this.random = random;
  }

  /** A new CA with a fresh key and a self-signed certificate valid for {@code validity}. */
  public static CertificateAuthority create(String commonName, Duration validity, Clock clock, SecureRandom random) {
    KeyPair pair = newKeyPair(random);
    X500Name name = name(commonName);
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = builder(name, name, pair.getPublic(), now, validity, random)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new CertificateAuthority(sign(b, pair.getPrivate()), pair.getPrivate(), clock, random);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot build CA certificate", e);
    }
  }

  /**
   * A CA from its certificate and key.
   *
   * @throws OutpostException INVALID_ARGUMENT if the key is not EC or the certificate is not a CA's
   */
  public static CertificateAuthority load(X509Certificate certificate, PrivateKey key, Clock clock, SecureRandom random) {
    if (!(certificate.getPublicKey() instanceof ECPublicKey) || !key.getAlgorithm().equals("EC")) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "CA key must be EC");
    }
    if (certificate.getBasicConstraints() < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "certificate " + certificate.getSubjectX500Principal() + " is not a CA");
    }
    return new CertificateAuthority(certificate, key, clock, random);
  }

  /** Reads a CA from its certificate and key PEM files. */
  public static CertificateAuthority load(Path certificateFile, Path keyFile, Clock clock, SecureRandom random)
      throws IOException {
    return load(PemFiles.readCertificates(certificateFile).getFirst(), PemFiles.readPrivateKey(keyFile), clock, random);
  }

  /** Writes the certificate (0644) and the key (0600) as PEM. */
  public void save(Path certificateFile, Path keyFile) throws IOException {
    PemFiles.writeCertificates(certificateFile, List.of(certificate));
    PemFiles.writePrivateKey(keyFile, key);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * Issues a leaf certificate with a fresh EC P-256 key.
   *
   * @param subjectAltNames DNS names and IP literals ("127.0.0.1", "::1"); IP literals become iPAddress
   *     entries, never resolved
   * @param server adds extended key usage serverAuth
   * @param client adds extended key usage clientAuth
   * @throws OutpostException INVALID_ARGUMENT for an empty name, a bad DNS name, or neither usage
   */
  public IssuedCertificate issue(String commonName, List<String> subjectAltNames, boolean server, boolean client,
      Duration validity) {
    if (!server && !client) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "a certificate must be for a server, a client or both");
    }
    List<GeneralName> names = new ArrayList<>();
    for (String san : subjectAltNames) {
      names.add(generalName(san));
    }
    KeyPair pair = newKeyPair(random);
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      List<KeyPurposeId> purposes = new ArrayList<>();
      if (server) {
        purposes.add(KeyPurposeId.id_kp_serverAuth);
      }
      if (client) {
        purposes.add(KeyPurposeId.id_kp_clientAuth);
      }
      X509v3CertificateBuilder b = builder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
          name(commonName), pair.getPublic(), now, validity, random)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      if (!names.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      return new IssuedCertificate(pair.getPrivate(), List.of(sign(b, key), certificate));
    } catch (GeneralSecurityException | CertIOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot issue certificate", e);
    }
  }

  private static GeneralName generalName(String san) {
    if (san == null || san.isEmpty() || san.length() > 253) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "subject alternative name must have 1..253 characters");
    }
    if (san.matches("[0-9.]+") || san.contains(":")) {
      try {
        InetAddress a = InetAddress.ofLiteral(san);
        return new GeneralName(GeneralName.iPAddress, new org.bouncycastle.asn1.DEROctetString(a.getAddress()));
      } catch (IllegalArgumentException e) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "not an IP literal: " + san);
      }
    }
    if (!san.matches("(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "not a DNS name: " + san);
    }
    return new GeneralName(GeneralName.dNSName, san);
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, PublicKey publicKey, Instant now,
      Duration validity, SecureRandom random) {
    if (validity.isNegative() || validity.isZero()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "certificate validity must be positive: " + validity);
    }
    Instant start = now.minus(BACKDATE).truncatedTo(ChronoUnit.SECONDS);
    Instant end = now.plus(validity).truncatedTo(ChronoUnit.SECONDS);
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, random).add(BigInteger.ONE),
        Date.from(start), Date.from(end), subject, publicKey);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
    try {
      ContentSigner cs = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
      return new JcaX509CertificateConverter().getCertificate(b.build(cs));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static X500Name name(String commonName) {
    if (commonName == null || commonName.isBlank() || commonName.length() > 64) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "common name must have 1..64 characters");
    }
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  private static KeyPair newKeyPair(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "JDK lacks EC P-256", e);
    }
  }
}
