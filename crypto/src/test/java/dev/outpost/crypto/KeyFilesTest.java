package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFilesTest {
  @Test
  void volumeKeyFileRoundTripsWithOwnerOnlyPermissions(@TempDir Path dir) throws Exception {
    VolumeKey key = VolumeKey.generate(Vectors.VOLUME_ID, new SecureRandom());
    Path file = dir.resolve("projects.key");
    new VolumeKeyFile("projects", key).write(file);
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    VolumeKeyFile read = VolumeKeyFile.read(file);
    assertThat(read.volume()).isEqualTo("projects");
    assertThat(read.key().volumeId()).isEqualTo(Vectors.VOLUME_ID);
    byte[] plain = new byte[50_000];
    new Random(1).nextBytes(plain);
    assertThat(new BlockSealer(read.key()).seal(plain).id()).isEqualTo(new BlockSealer(key).seal(plain).id());
    assertThat(Files.readString(file)).startsWith("format: outpost-volume-key/1\n");
    key.destroy();
    assertThat(key.isDestroyed()).isTrue();
    assertThatThrownBy(() -> new BlockSealer(key)).isInstanceOf(OutpostException.class);
  }

  @Test
  void malformedKeyFilesNameTheProblem() {
    String good = new VolumeKeyFile("v", Vectors.volumeKey()).format();
    assertInvalid("format: outpost-volume-key/2\nvolume: v\n", "expected 'outpost-volume-key/1'");
    assertInvalid("-----BEGIN PRIVATE KEY-----\n", "not 'name: value'");
    assertInvalid("volume: v\n", "no 'format' line");
    assertInvalid(good.replace("secret:", "# secret:"), "missing field 'secret'");
    assertInvalid(good + "volume: w\n", "appears twice");
    assertInvalid(good.replace("volume-id: a0", "volume-id: zz"), "not hex");
    assertInvalid(good.replace("volume-id: a0", "volume-id: "), "32 hex digits");
    assertInvalid(good.replace("secret: ", "secret: AAAA"), "32 bytes");
    assertInvalid(good.replace("secret: ", "secret: !"), "not base64");
    assertInvalid(good + "colour: blue\n", "unknown field");
    assertInvalid("x".repeat(5000), "longer than");
  }

  /** A volume line that is not UTF-8 would have been read as a different name (U+FFFD), silently. */
  @Test
  void aKeyFileThatIsNotUtf8IsRefused(@TempDir Path dir) throws Exception {
    byte[] good = new VolumeKeyFile("caf\u00e9", Vectors.volumeKey()).format().getBytes(StandardCharsets.UTF_8);
    String text = new String(good, StandardCharsets.ISO_8859_1).replace("caf\u00c3\u00a9", "caf\u00e9");
    Path file = dir.resolve("latin1.key");
    Files.write(file, text.getBytes(StandardCharsets.ISO_8859_1)); // "volume: caf\xe9"
    assertThatThrownBy(() -> VolumeKeyFile.read(file)).isInstanceOfSatisfying(OutpostException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).contains("not UTF-8");
    });
    Files.write(file, good);
    assertThat(VolumeKeyFile.read(file).volume()).isEqualTo("caf\u00e9");
  }

  @Test
  void fuzzedKeyFilesAndPemOnlyGiveTypedErrors() {
    String good = new VolumeKeyFile("v", Vectors.volumeKey()).format();
    String pem = PemFiles.privateKeyPem(CertificateAuthorityTest.CA_KEY_FOR_TESTS.get())
        + PemFiles.certificatesPem(java.util.List.of(CertificateAuthorityTest.CA.certificate()));
    Random r = new Random(3);
    String alphabet = "abcdefAZ09+/=:-# \n\r\u00e9\u0000";
    for (int i = 0; i < 3000; i++) {
      for (String base : new String[] {good, pem}) {
        char[] c = base.toCharArray();
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits; e++) {
          c[r.nextInt(c.length)] = alphabet.charAt(r.nextInt(alphabet.length()));
        }
        String s = new String(c, 0, r.nextInt(10) == 0 ? r.nextInt(c.length) : c.length);
        typedOrOk(() -> VolumeKeyFile.parse(s));
        typedOrOk(() -> PemFiles.parsePrivateKey(s));
        typedOrOk(() -> PemFiles.parsePublicKey(s));
        typedOrOk(() -> PemFiles.parseCertificates(s));
      }
    }
  }

  @Test
  void passphraseKeysAreDeterministicPerVolume() {
    Argon2Params tiny = new Argon2Params(64, 1, 1);
    VolumeKey a = VolumeKey.fromPassphrase("pw".toCharArray(), Vectors.VOLUME_ID, tiny);
    VolumeKey b = VolumeKey.fromPassphrase("pw".toCharArray(), Vectors.VOLUME_ID, tiny);
    VolumeKey other = VolumeKey.fromPassphrase("pw".toCharArray(), new byte[16], tiny);
    assertThat(a.secretCopy()).isEqualTo(b.secretCopy()).isNotEqualTo(other.secretCopy());
    assertThatThrownBy(() -> new Argon2Params(4, 1, 1)).isInstanceOf(OutpostException.class);
    assertThatThrownBy(() -> VolumeKey.fromPassphrase(new char[0], Vectors.VOLUME_ID, tiny))
        .isInstanceOf(OutpostException.class);
  }

  static void typedOrOk(Runnable r) {
    try {
      r.run();
    } catch (OutpostException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
  }

  static void assertInvalid(String text, String message) {
    assertThatThrownBy(() -> VolumeKeyFile.parse(text)).isInstanceOfSatisfying(OutpostException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).contains(message);
    });
  }
}
