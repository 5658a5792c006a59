package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * PEM files for keys and certificates: private keys as unencrypted PKCS#8 ("PRIVATE KEY", what Netty's
 * SslContextBuilder reads), public keys as X.509 SubjectPublicKeyInfo ("PUBLIC KEY"), certificates as
 * "CERTIFICATE" blocks. EC (P-256) and Ed25519 keys. Private keys are written with permissions 0600 where the
 * filesystem is POSIX, through a temporary file and an atomic rename.
 *
 * <p>Thread-safe. Malformed content gives OutpostException INVALID_ARGUMENT; I/O failures an IOException.
 */
public final class PemFiles {
  /** Files longer than this are refused before reading. */
  public static final int MAX_PEM_BYTES = 256 * 1024;
  private static final String OID_EC = "1.2.840.10045.2.1";
  private static final String OID_ED25519 = "1.3.101.112";

  private PemFiles() {}

  public static String privateKeyPem(PrivateKey key) {
    return armor("PRIVATE KEY", key.getEncoded());
  }

  public static String publicKeyPem(PublicKey key) {
    return armor("PUBLIC KEY", key.getEncoded());
  }

  public static String certificatesPem(List<X509Certificate> chain) {
    StringBuilder b = new StringBuilder();
    for (X509Certificate c : chain) {
      try {
        b.append(armor("CERTIFICATE", c.getEncoded()));
      } catch (GeneralSecurityException e) {
        throw new OutpostException(ErrorCode.INTERNAL, "cannot encode certificate", e);
      }
    }
    return b.toString();
  }

  public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
    byte[] text = privateKeyPem(key).getBytes(StandardCharsets.US_ASCII);
    try {
      writePrivate(file, text);
    } finally {
      Arrays.fill(text, (byte) 0);
    }
  }

  public static void writePublicKey(Path file, PublicKey key) throws IOException {
    writePublic(file, publicKeyPem(key).getBytes(StandardCharsets.US_ASCII));
  }

  public static void writeCertificates(Path file, List<X509Certificate> chain) throws IOException {
    writePublic(file, certificatesPem(chain).getBytes(StandardCharsets.US_ASCII));
  }

  public static PrivateKey readPrivateKey(Path file) throws IOException {
    return parsePrivateKey(new String(readBounded(file, MAX_PEM_BYTES, "PEM file"), StandardCharsets.US_ASCII));
  }

  public static PublicKey readPublicKey(Path file) throws IOException {
    return parsePublicKey(new String(readBounded(file, MAX_PEM_BYTES, "PEM file"), StandardCharsets.US_ASCII));
  }

  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    return parseCertificates(new String(readBounded(file, MAX_PEM_BYTES, "PEM file"), StandardCharsets.US_ASCII));
  }

  /** The first "PRIVATE KEY" block of {@code pem}: an EC or Ed25519 PKCS#8 key. */
  public static PrivateKey parsePrivateKey(String pem) {
    byte[] der = blocks(pem, "PRIVATE KEY").getFirst();
    try {
      ASN1ObjectIdentifier oid = PrivateKeyInfo.getInstance(der).getPrivateKeyAlgorithm().getAlgorithm();
      return KeyFactory.getInstance(algorithm(oid.getId())).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (OutpostException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw bad("not a valid PKCS#8 EC or Ed25519 private key", e);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** The first "PUBLIC KEY" block of {@code pem}: an EC or Ed25519 SubjectPublicKeyInfo. */
  public static PublicKey parsePublicKey(String pem) {
    byte[] der = blocks(pem, "PUBLIC KEY").getFirst();
    try {
      ASN1ObjectIdentifier oid = SubjectPublicKeyInfo.getInstance(der).getAlgorithm().getAlgorithm();
      return KeyFactory.getInstance(algorithm(oid.getId())).generatePublic(new X509EncodedKeySpec(der));
    } catch (OutpostException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw bad("not a valid EC or Ed25519 public key", e);
    }
  }

  /** Every "CERTIFICATE" block of {@code pem}, in order (at least one). */
  public static List<X509Certificate> parseCertificates(String pem) {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (byte[] der : blocks(pem, "CERTIFICATE")) {
        try (InputStream in = new ByteArrayInputStream(der)) {
          out.add((X509Certificate) cf.generateCertificate(in));
        }
      }
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      if (e instanceof OutpostException oe) {
        throw oe;
      }
      throw bad("not a valid X.509 certificate", e);
    }
    return out;
  }

  private static String algorithm(String oid) {
    return switch (oid) {
      case OID_EC -> "EC";
      case OID_ED25519 -> "Ed25519";
      default -> throw bad("unsupported key algorithm " + oid, null);
    };
  }

  static String armor(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** The DER bodies of every block of {@code type}; other blocks and text around them are skipped. */
  static List<byte[]> blocks(String pem, String type) {
    if (pem == null || pem.length() > MAX_PEM_BYTES) {
      throw bad("missing or longer than " + MAX_PEM_BYTES + " characters", null);
    }
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    List<byte[]> out = new ArrayList<>();
    int from = 0;
    while (true) {
      int b = pem.indexOf(begin, from);
      if (b < 0) {
        break;
      }
      int e = pem.indexOf(end, b + begin.length());
      if (e < 0) {
        throw bad("'" + begin + "' without its END line", null);
      }
      String body = pem.substring(b + begin.length(), e);
      try {
        out.add(Base64.getMimeDecoder().decode(body.strip()));
      } catch (IllegalArgumentException ex) {
        throw bad("the " + type + " block is not base64", ex);
      }
      from = e + end.length();
    }
    if (out.isEmpty()) {
      throw bad("no " + type + " block", null);
    }
    return out;
  }

  /** Reads a whole file after checking its size against {@code maxBytes}. */
  static byte[] readBounded(Path file, int maxBytes, String what) throws IOException {
    long size = Files.size(file);
    if (size > maxBytes) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, what + " " + file + " is " + size + " bytes, more than " + maxBytes);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] data = in.readNBytes(maxBytes + 1);
      if (data.length > maxBytes) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, what + " " + file + " grew past " + maxBytes + " bytes");
      }
      return data;
    }
  }

  /** Writes a secret file: 0600 from creation on (never briefly world-readable), then an atomic rename. */
  static void writePrivate(Path file, byte[] content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp;
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      tmp = Files.createTempFile(dir, ".outpost-", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      tmp = Files.createTempFile(dir, ".outpost-", ".tmp");
    }
    moveInto(tmp, file, content);
  }

  static void writePublic(Path file, byte[] content) throws IOException {
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".outpost-", ".tmp");
    if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
    }
    moveInto(tmp, file, content);
  }

  private static void moveInto(Path tmp, Path file, byte[] content) throws IOException {
    try {
      Files.write(tmp, content);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static OutpostException bad(String why, Throwable cause) {
    return new OutpostException(ErrorCode.INVALID_ARGUMENT, "PEM: " + why, cause);
  }
}
