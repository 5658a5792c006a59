package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenTest {
  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final KeyPair PAIR = TokenSigner.generateKeyPair(new SecureRandom());
  static final TokenSigner SIGNER = new TokenSigner(PAIR.getPrivate());

  static TokenVerifier verifierAt(Instant now) {
    return new TokenVerifier(PAIR.getPublic(), Clock.fixed(now, ZoneOffset.UTC));
  }

  static AccessToken token(AccessToken.Mode mode) {
    return new AccessToken("projects", mode, "bob", NOW.minusSeconds(60), NOW.plus(Duration.ofHours(1)));
  }

  @Test
  void signedTokensVerifyAndRoundTrip() {
    for (AccessToken.Mode m : AccessToken.Mode.values()) {
      String s = SIGNER.sign(token(m));
      assertThat(s).startsWith("opt1.").hasSizeLessThan(Tokens.MAX_TOKEN_CHARS);
      assertThat(verifierAt(NOW).verify(s, "projects")).isEqualTo(token(m));
    }
    AccessToken longNames = new AccessToken("v".repeat(255), AccessToken.Mode.ADMIN, "é".repeat(127),
        NOW, NOW.plusSeconds(1));
    assertThat(SIGNER.sign(longNames)).hasSizeLessThan(Tokens.MAX_TOKEN_CHARS);
    assertThat(verifierAt(NOW).verify(SIGNER.sign(longNames))).isEqualTo(longNames);
    assertThat(AccessToken.Mode.ADMIN.allows(AccessToken.Mode.RW)).isTrue();
    assertThat(AccessToken.Mode.RO.allows(AccessToken.Mode.RW)).isFalse();
  }

  /** A bearer reads its own token's claim (mode, volume, subject, times) without the origin's public key. */
  @Test
  void aTokensClaimReadsWithoutVerification() {
    for (AccessToken.Mode m : AccessToken.Mode.values()) {
      assertThat(AccessToken.readUnverified(SIGNER.sign(token(m)))).isEqualTo(token(m));
    }
    // Unverified means unverified: a forged token reads too, and only the verifier refuses it.
    String forged = new TokenSigner(TokenSigner.generateKeyPair(new SecureRandom()).getPrivate())
        .sign(token(AccessToken.Mode.ADMIN));
    assertThat(AccessToken.readUnverified(forged).mode()).isEqualTo(AccessToken.Mode.ADMIN);
    assertUnauthorized(() -> AccessToken.readUnverified("opaque-token"), "not an opt1 token");
    assertUnauthorized(() -> AccessToken.readUnverified(""), "empty");
  }

  /** String.getBytes would sign "bob?" for "bob\uD800": the token would not say what its record says. */
  @Test
  void namesWithAnUnpairedSurrogateAreRefusedAndOthersRoundTripExactly() {
    for (String bad : new String[] {"bob\uD800", "\uDC00", "a\uDBFFb"}) {
      assertThatThrownBy(() -> new AccessToken("projects", AccessToken.Mode.RW, bad, NOW, NOW.plusSeconds(1)))
          .as(bad).isInstanceOfSatisfying(OutpostException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
      assertThatThrownBy(() -> new AccessToken(bad, AccessToken.Mode.RW, "bob", NOW, NOW.plusSeconds(1)))
          .as(bad).isInstanceOf(OutpostException.class);
    }
    AccessToken t = new AccessToken("caf\u00e9", AccessToken.Mode.RW, "cafe\u0301 \uD83D\uDE00 \uFFFD", NOW,
        NOW.plusSeconds(1));
    assertThat(verifierAt(NOW).verify(SIGNER.sign(t), "caf\u00e9")).isEqualTo(t);
  }

  @Test
  void expiredOtherVolumeBadSignatureAndFutureTokensAreUnauthorized() {
    String s = SIGNER.sign(token(AccessToken.Mode.RW));
    assertUnauthorized(() -> verifierAt(NOW.plus(Duration.ofHours(1))).verify(s), "token expired at");
    assertUnauthorized(() -> verifierAt(NOW).verify(s, "other"), "token is for volume projects");
    assertUnauthorized(() -> verifierAt(NOW.minus(Duration.ofMinutes(10))).verify(s), "not valid before");
    KeyPair stranger = TokenSigner.generateKeyPair(new SecureRandom());
    String forged = new TokenSigner(stranger.getPrivate()).sign(token(AccessToken.Mode.ADMIN));
    assertUnauthorized(() -> verifierAt(NOW).verify(forged), "bad signature");
    // the payload of one token with the signature of another
    String spliced = forged.substring(0, forged.lastIndexOf('.')) + s.substring(s.lastIndexOf('.'));
    assertUnauthorized(() -> verifierAt(NOW).verify(spliced), "bad signature");
  }

  @Test
  void garbageAndMutatedTokensOnlyGiveUnauthorized() {
    String good = SIGNER.sign(token(AccessToken.Mode.RO));
    TokenVerifier v = verifierAt(NOW);
    Random r = new Random(11);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \u00e9\u0000";
    for (int i = 0; i < 4000; i++) {
      String t;
      switch (i % 4) {
        case 0 -> {
          char[] c = good.toCharArray();
          c[r.nextInt(c.length)] = alphabet.charAt(r.nextInt(alphabet.length()));
          t = new String(c);
        }
        case 1 -> t = good.substring(0, r.nextInt(good.length()));
        case 2 -> {
          StringBuilder b = new StringBuilder("opt1.");
          int n = r.nextInt(1200);
          for (int k = 0; k < n; k++) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
          }
          t = b.toString();
        }
        default -> {
          byte[] payload = new byte[r.nextInt(80)];
          r.nextBytes(payload);
          byte[] sig = new byte[r.nextBoolean() ? 64 : r.nextInt(100)];
          r.nextBytes(sig);
          Base64.Encoder e = Base64.getUrlEncoder().withoutPadding();
          t = "opt1." + e.encodeToString(payload) + "." + e.encodeToString(sig);
        }
      }
      if (t.equals(good)) {
        continue;
      }
      try {
        v.verify(t);
      } catch (OutpostException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED);
      }
    }
    assertUnauthorized(() -> v.verify("x".repeat(100_000)), "longer than");
    assertUnauthorized(() -> v.verify(""), "malformed");
    assertUnauthorized(() -> v.verify(good + "="), "malformed");
  }

  @Test
  void signedButMalformedPayloadsAreRefused() throws Exception {
    java.security.Signature sig = java.security.Signature.getInstance("Ed25519");
    byte[][] payloads = {
        new byte[0],
        new byte[] {2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 'v', 1, 's'},
        new byte[] {1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 'v', 1, 's'},
        new byte[] {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9, 'v', 1, 's'},
        new byte[] {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, (byte) 0xff, 1, 's'},
        new byte[] {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 'v', 1, 's', 0},
        new byte[] {1, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 1, 'v', 1, 's'},
        new byte[] {1, 1, 0x7f, -1, -1, -1, -1, -1, -1, -1, 0x7f, -1, -1, -1, -1, -1, -1, -1, 1, 'v', 1, 's'},
    };
    for (byte[] p : payloads) {
      String signed = "opt1." + Tokens.b64(p);
      sig.initSign(PAIR.getPrivate());
      sig.update(signed.getBytes(StandardCharsets.US_ASCII));
      String t = signed + "." + Tokens.b64(sig.sign());
      assertUnauthorized(() -> verifierAt(NOW).verify(t), "malformed token");
    }
  }

  @Test
  void keyPairsRoundTripThroughPemFiles(@TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path priv = dir.resolve("token.key");
    java.nio.file.Path pub = dir.resolve("token.pub");
    PemFiles.writePrivateKey(priv, PAIR.getPrivate());
    PemFiles.writePublicKey(pub, PAIR.getPublic());
    assertThat(java.nio.file.Files.getPosixFilePermissions(priv))
        .containsExactlyInAnyOrderElementsOf(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    String s = new TokenSigner(PemFiles.readPrivateKey(priv)).sign(token(AccessToken.Mode.RW));
    assertThat(new TokenVerifier(PemFiles.readPublicKey(pub), Clock.fixed(NOW, ZoneOffset.UTC)).verify(s))
        .isEqualTo(token(AccessToken.Mode.RW));
    assertThatThrownBy(() -> new TokenSigner(CertificateAuthorityTest.CA_KEY_FOR_TESTS.get()))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  static void assertUnauthorized(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOfSatisfying(OutpostException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED);
      assertThat(e.getMessage()).contains(message);
    });
  }
}
