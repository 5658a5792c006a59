package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Utf8;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;

/** The token's compact string form and binary payload (FORMAT.md §6), shared by signer and verifier. */
final class Tokens {
  static final String PREFIX = "opt1.";
  static final int PAYLOAD_VERSION = 1;
  static final int SIGNATURE_BYTES = 64;
  /** Longest valid token: payload ≤ 532 bytes and the signature, base64url, plus prefix and dot. */
  static final int MAX_TOKEN_CHARS = 1024;

  private Tokens() {}

  /** A token's signed text ("opt1." ‖ b64u(payload)), its payload and its signature, unverified. */
  record Parts(String signed, byte[] payload, byte[] signature) {}

  /** Splits a token of the compact form, checking only its form. @throws OutpostException UNAUTHORIZED */
  static Parts parse(String token) {
    if (token == null || token.isEmpty()) {
      throw malformed("empty");
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      throw malformed("longer than " + MAX_TOKEN_CHARS + " characters");
    }
    if (!token.startsWith(PREFIX)) {
      throw malformed("not an opt1 token");
    }
    int dot = token.indexOf('.', PREFIX.length());
    if (dot < 0 || token.indexOf('.', dot + 1) >= 0) {
      throw malformed("expected opt1.<payload>.<signature>");
    }
    byte[] payload = unb64(token.substring(PREFIX.length(), dot));
    byte[] signature = unb64(token.substring(dot + 1));
    if (signature.length != SIGNATURE_BYTES) {
      throw malformed("signature of " + signature.length + " bytes");
    }
    return new Parts(token.substring(0, dot), payload, signature);
  }

  static byte[] encodePayload(AccessToken t) {
    byte[] volume = Utf8.encode(t.volume());
    byte[] subject = Utf8.encode(t.subject());
    return ByteBuffer.allocate(2 + 16 + 2 + volume.length + subject.length)
        .put((byte) PAYLOAD_VERSION)
        .put((byte) t.mode().wire())
        .putLong(t.issuedAt().getEpochSecond())
        .putLong(t.expiresAt().getEpochSecond())
        .put((byte) volume.length).put(volume)
        .put((byte) subject.length).put(subject)
        .array();
  }

  static AccessToken decodePayload(byte[] p) {
    ByteBuffer b = ByteBuffer.wrap(p);
    if (p.length < 2 + 16 + 2) {
      throw malformed("payload too short");
    }
    int version = b.get() & 0xff;
    if (version != PAYLOAD_VERSION) {
      throw malformed("payload version " + version);
    }
    AccessToken.Mode mode = AccessToken.Mode.fromWire(b.get() & 0xff);
    long issued = b.getLong();
    long expires = b.getLong();
    String volume = string(b);
    String subject = string(b);
    if (b.hasRemaining()) {
      throw malformed("trailing bytes in payload");
    }
    try {
      return new AccessToken(volume, mode, subject, Instant.ofEpochSecond(issued), Instant.ofEpochSecond(expires));
    } catch (OutpostException | java.time.DateTimeException e) {
      throw malformed(e.getMessage());
    }
  }

  private static String string(ByteBuffer b) {
    if (!b.hasRemaining()) {
      throw malformed("payload truncated");
    }
    int n = b.get() & 0xff;
    if (n > b.remaining()) {
      throw malformed("payload truncated");
    }
    ByteBuffer slice = b.slice(b.position(), n);
    b.position(b.position() + n);
    return Utf8.decode(slice).orElseThrow(() -> malformed("name is not UTF-8"));
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Strict base64url without padding: decodes, then refuses any string that is not the canonical encoding. */
  static byte[] unb64(String s) {
    byte[] out;
    try {
      out = Base64.getUrlDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw malformed("not base64url");
    }
    if (!b64(out).equals(s)) {
      throw malformed("not canonical base64url");
    }
    return out;
  }

  static OutpostException malformed(String why) {
    return new OutpostException(ErrorCode.UNAUTHORIZED, "malformed token: " + why);
  }
}
