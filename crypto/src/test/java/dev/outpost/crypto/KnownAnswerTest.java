package dev.outpost.crypto;

import static dev.outpost.crypto.Vectors.HEX;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.api.Test;

/**
 * The committed vectors under src/test/resources/vectors are reproduced byte for byte, and the JDK-based
 * derivations agree with published vectors and with Bouncy Castle's independent lightweight implementations.
 */
class KnownAnswerTest {
  static final List<String> FILES = Vectors.FILES;

  @ParameterizedTest
  @FieldSource("FILES")
  void codeReproducesCommittedVectors(String file) throws Exception {
    assertThat(Vectors.file(file)).containsExactlyElementsOf(Vectors.committed(file));
  }

  static Map<String, String> fields(String file) throws Exception {
    Map<String, String> m = new HashMap<>();
    for (String line : Vectors.committed(file)) {
      if (!line.startsWith("#")) {
        int c = line.indexOf(": ");
        m.put(line.substring(0, c), line.substring(c + 2));
      }
    }
    return m;
  }

  @Test
  void hkdfMatchesRfc5869TestCase1() {
    byte[] ikm = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
    byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");
    assertThat(HEX.formatHex(Primitives.hkdf(ikm, salt, info, 42))).isEqualTo(
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  }

  @Test
  void gcmMatchesMcGrewViegaTestCase14() {
    byte[] out = new byte[32];
    Gcm.encrypt(Primitives.get().gcm, new byte[32], new byte[12], new byte[0], 0, 0, new byte[16], 0, 16, out, 0);
    assertThat(HEX.formatHex(out)).isEqualTo("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  }

  @Test
  void blockIdIsSha256() {
    assertThat(BlockIds.of("abc".getBytes(StandardCharsets.US_ASCII)).hex())
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void subKeysAgreeWithBouncyCastleHkdf() throws Exception {
    Map<String, String> f = fields("keys.txt");
    assertThat(f.get("convergence-secret")).isEqualTo(HEX.formatHex(bcHkdf("outpost/convergence/v1", 32)));
    assertThat(f.get("wrap-key")).isEqualTo(HEX.formatHex(bcHkdf("outpost/wrap/v1", 32)));
    byte[] gear = bcHkdf("outpost/gear/v1", 2048);
    assertThat(f.get("gear-table-sha256")).isEqualTo(HEX.formatHex(Vectors.sha256(gear, 0, gear.length)));
    assertThat(GearTable.fromBytes(gear).value(255)).isEqualTo(Vectors.volumeKey().gearTable().value(255));
  }

  private static byte[] bcHkdf(String info, int n) {
    HKDFBytesGenerator g = new HKDFBytesGenerator(new SHA256Digest());
    g.init(new HKDFParameters(Vectors.SECRET, Vectors.VOLUME_ID, info.getBytes(StandardCharsets.US_ASCII)));
    byte[] out = new byte[n];
    g.generateBytes(out, 0, n);
    return out;
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"raw", "zstd"})
  void sealedVectorsOpenAndAgreeWithBouncyCastle(String name) throws Exception {
    Map<String, String> f = fields("seal.txt");
    byte[] plain = HEX.parseHex(f.get(name + ".plain"));
    byte[] key = HEX.parseHex(f.get(name + ".key"));
    byte[] cipher = HEX.parseHex(f.get(name + ".cipher"));
    assertThat(cipher[0]).isEqualTo(name.equals("raw") ? BlockFormat.DATA_RAW : BlockFormat.DATA_ZSTD);
    BlockIds.verify(BlockId.fromHex(f.get(name + ".id")), cipher);
    assertThat(BlockOpener.open(key, cipher, plain.length)).isEqualTo(plain);

    // key = HMAC-SHA256(convergence secret, "outpost/block/v1" || header || SHA-256(plain)), independently
    assertThat(key).isEqualTo(bcHmac(label("outpost/block/v1"), new byte[] {cipher[0]},
        Vectors.sha256(plain, 0, plain.length)));

    // body decrypts with BC's GCM: raw under the zero nonce with AAD = header; zstd under the stored nonce
    // with AAD = header || nonce
    boolean zstd = name.equals("zstd");
    int prefix = zstd ? 13 : 1;
    byte[] nonce = zstd ? Arrays.copyOfRange(cipher, 1, 13) : new byte[12];
    GCMBlockCipher gcm = (GCMBlockCipher) GCMBlockCipher.newInstance(AESEngine.newInstance());
    gcm.init(false, new AEADParameters(new KeyParameter(key), 128, nonce, Arrays.copyOf(cipher, prefix)));
    byte[] body = new byte[gcm.getOutputSize(cipher.length - prefix)];
    int n = gcm.processBytes(cipher, prefix, cipher.length - prefix, body, 0);
    n += gcm.doFinal(body, n);
    body = Arrays.copyOf(body, n);
    if (zstd) {
      assertThat(HEX.formatHex(nonce)).isEqualTo(f.get("zstd.nonce"));
      // nonce = first 12 bytes of HMAC-SHA256(convergence secret, "outpost/nonce/v1" || zstd frame)
      assertThat(nonce).isEqualTo(Arrays.copyOf(bcHmac(label("outpost/nonce/v1"), body), 12));
      assertThat(com.github.luben.zstd.Zstd.decompress(body, plain.length)).isEqualTo(plain);
      // the body is exactly what one-shot ZSTD_compress at level 3 produces
      assertThat(body).isEqualTo(com.github.luben.zstd.Zstd.compress(plain, 3));
    } else {
      assertThat(body).isEqualTo(plain);
    }
  }

  static byte[] label(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** HMAC-SHA256 under the convergence secret, by Bouncy Castle's lightweight API. */
  static byte[] bcHmac(byte[]... parts) {
    HMac mac = new HMac(new SHA256Digest());
    mac.init(new KeyParameter(bcHkdf("outpost/convergence/v1", 32)));
    for (byte[] part : parts) {
      mac.update(part, 0, part.length);
    }
    byte[] out = new byte[32];
    mac.doFinal(out, 0);
    return out;
  }

  @Test
  void indexVectorOpensToTheSyntheticChildren() throws Exception {
    Map<String, String> f = fields("index.txt");
    byte[] cipher = HEX.parseHex(f.get("first-block.cipher"));
    IndexBlock.Opened opened = IndexBlock.open(HEX.parseHex(f.get("first-block.key")), cipher);
    assertThat(opened.level()).isEqualTo(1);
    assertThat(opened.children()).isEqualTo(Vectors.syntheticChildren(600).subList(0, opened.children().size()));
    // key = HMAC-SHA256(C, "outpost/block/v1" || 0x03 || SHA-256(public part || sealed plain)), independently
    int count = opened.children().size();
    int publicLength = IndexBlock.publicLength(count);
    java.nio.ByteBuffer plain = java.nio.ByteBuffer.allocate(publicLength + count * IndexBlock.SEALED_ENTRY_BYTES);
    plain.put(cipher, 0, publicLength);
    for (ChildRef c : opened.children()) {
      plain.put(c.key()).putLong(c.plainBytes());
    }
    assertThat(HEX.formatHex(bcHmac(label("outpost/block/v1"), new byte[] {BlockFormat.INDEX},
        Vectors.sha256(plain.array(), 0, plain.capacity())))).isEqualTo(f.get("first-block.key"));
    String[] root = f.get("root").split(" ");
    byte[] rootKey = RootKeys.unwrap(Vectors.volumeKey(), 42, HEX.parseHex(f.get("wrapped-root-key")));
    assertThat(HEX.formatHex(rootKey)).isEqualTo(root[3]);
  }

  @Test
  void tokenVectorVerifiesWithTheSeedsPublicKey() throws Exception {
    String token = fields("token.txt").get("token");
    TokenVerifier v = new TokenVerifier(Vectors.tokenKeyPair().getPublic(),
        java.time.Clock.fixed(java.time.Instant.ofEpochSecond(1_700_000_100L), java.time.ZoneOffset.UTC));
    AccessToken t = v.verify(token, "projects");
    assertThat(t.mode()).isEqualTo(AccessToken.Mode.RW);
    assertThat(t.subject()).isEqualTo("alice@branch-1");
    assertThat(t.expiresAt().getEpochSecond()).isEqualTo(1_700_003_600L);
  }
}
