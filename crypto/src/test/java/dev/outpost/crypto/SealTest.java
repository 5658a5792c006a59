package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import com.github.luben.zstd.Zstd;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SealTest {
  static final BlockSealer SEALER = new BlockSealer(Vectors.volumeKey());

  static byte[] plain(long seed, int length, boolean compressible) {
    return ChunkerTest.data(seed, length, compressible);
  }

  @Property(tries = 60)
  void sealThenOpenRoundTrips(@ForAll long seed, @ForAll @IntRange(max = BlockFormat.MAX_PLAIN_BYTES) int length,
      @ForAll boolean compressible) {
    byte[] plain = plain(seed, length, compressible);
    SealedBlock b = SEALER.seal(plain);
    assertThat(b.plainLength()).isEqualTo(length);
    assertThat(b.cipherLength()).isLessThanOrEqualTo(BlockFormat.MAX_CIPHER_BYTES);
    BlockIds.verify(b.id(), b.cipher());
    assertThat(BlockOpener.open(b.key(), b.cipher(), length)).isEqualTo(plain);
    if (compressible && length > 1000) {
      assertThat(b.cipher()[0]).isEqualTo(BlockFormat.DATA_ZSTD);
    }
    if (!compressible && length > 100) {
      assertThat(b.cipher()[0]).isEqualTo(BlockFormat.DATA_RAW);
    }
  }

  @Property(tries = 30)
  void bufferVariantsAgreeWithArrays(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300_000) int length,
      @ForAll boolean compressible, @ForAll boolean directIn, @ForAll boolean directOut) {
    byte[] plain = plain(seed, Math.min(length, BlockFormat.MAX_PLAIN_BYTES), compressible);
    SealedBlock expected = SEALER.seal(plain);
    ByteBuffer in = alloc(directIn, plain.length + 3).position(3).put(plain).flip().position(3);
    ByteBuffer out = alloc(directOut, plain.length + 40).position(5);
    ChildRef ref = SEALER.sealInto(in, out);
    assertThat(in.hasRemaining()).isFalse();
    assertThat(ref).isEqualTo(expected.childRef());
    assertThat(out.position()).isEqualTo(5 + expected.cipherLength());
    ByteBuffer cipher = out.flip().position(5);
    BlockIds.verify(ref.id(), cipher);
    ByteBuffer target = alloc(!directOut, plain.length + 7).position(7);
    BlockOpener.openInto(ref.key(), cipher, target, plain.length);
    assertThat(cipher.hasRemaining()).isFalse();
    assertThat(target.position()).isEqualTo(7 + plain.length);
    byte[] got = new byte[plain.length];
    target.flip().position(7).get(got);
    assertThat(got).isEqualTo(plain);
  }

  static ByteBuffer alloc(boolean direct, int n) {
    return direct ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
  }

  @Test
  void equalPlaintextsGiveEqualBlocksAndSealingTwiceInARowWorks() {
    byte[] plain = plain(3, 70_000, false);
    SealedBlock a = SEALER.seal(plain);
    SealedBlock b = SEALER.seal(plain.clone());
    assertThat(b.id()).isEqualTo(a.id());
    assertThat(b.cipher()).isEqualTo(a.cipher());
    BlockSealer otherVolume = new BlockSealer(VolumeKey.fromSecret(new byte[32], Vectors.VOLUME_ID));
    assertThat(otherVolume.seal(plain).id()).isNotEqualTo(a.id());
  }

  @Test
  void equalCompressiblePlaintextsGiveEqualZstdBlocks() {
    byte[] plain = plain(9, 70_000, true);
    SealedBlock a = SEALER.seal(plain);
    SealedBlock b = SEALER.seal(plain.clone());
    assertThat(a.cipher()[0]).isEqualTo(BlockFormat.DATA_ZSTD);
    assertThat(b.cipher()).isEqualTo(a.cipher());
    assertThat(b.id()).isEqualTo(a.id());
  }

  /** The nonce-reuse hazard of convergent GCM: another writer's body for the same plaintext. */
  @Test
  void differentBodiesOfOnePlaintextNeverShareKeyAndNonce() {
    byte[] plain = plain(10, 100_000, true);
    byte[] hash = Vectors.sha256(plain, 0, plain.length);
    byte[] level3 = Zstd.compress(plain, 3);
    byte[] level19 = Zstd.compress(plain, 19);
    byte[] level1 = Zstd.compress(plain, 1);
    assertThat(level19).isNotEqualTo(level3);
    assertThat(level1).isNotEqualTo(level3);
    List<SealedBlock> blocks = List.of(
        SEALER.seal(plain),
        SEALER.sealRaw(hash, plain, 0, plain.length),
        SEALER.sealZstd(hash, level19, level19.length, plain.length),
        SEALER.sealZstd(hash, level1, level1.length, plain.length));
    assertThat(blocks.getFirst().cipher()).isEqualTo(SEALER.sealZstd(hash, level3, level3.length, plain.length).cipher());
    java.util.Set<String> keyNonce = new java.util.HashSet<>();
    for (SealedBlock b : blocks) {
      assertThat(BlockOpener.open(b.key(), b.cipher(), plain.length)).isEqualTo(plain);
      assertThat(keyNonce.add(Vectors.HEX.formatHex(b.key()) + "/" + Vectors.HEX.formatHex(nonce(b.cipher()))))
          .as("(key, nonce) of a %s block", b.cipher()[0] == BlockFormat.DATA_RAW ? "raw" : "zstd").isTrue();
    }
    // raw and zstd bodies get different keys; zstd bodies share the key but not the nonce
    assertThat(blocks.get(1).key()).isNotEqualTo(blocks.get(0).key());
    assertThat(blocks.get(2).key()).isEqualTo(blocks.get(0).key());
    assertThat(blocks.get(3).key()).isEqualTo(blocks.get(0).key());
    // a raw block opened with the zstd block's key, or the other way round, fails
    assertCorrupt(() -> BlockOpener.open(blocks.get(0).key(), blocks.get(1).cipher(), plain.length));
    assertCorrupt(() -> BlockOpener.open(blocks.get(1).key(), blocks.get(0).cipher(), plain.length));
  }

  /** The nonce a block is encrypted under: stored after a zstd header, zero for raw blocks. */
  static byte[] nonce(byte[] cipher) {
    return cipher[0] == BlockFormat.DATA_ZSTD
        ? Arrays.copyOfRange(cipher, 1, BlockFormat.ZSTD_PREFIX_BYTES) : new byte[BlockFormat.NONCE_BYTES];
  }

  @Property(tries = 200)
  void aZstdBlockIsNeverLongerThanTheRawBlock(@ForAll long seed, @ForAll @IntRange(min = 1, max = 400) int length) {
    byte[] plain = plain(seed, length, true);
    SealedBlock b = SEALER.seal(plain);
    assertThat(b.cipherLength()).isLessThanOrEqualTo(length + 1 + BlockFormat.TAG_BYTES);
    ByteBuffer exact = ByteBuffer.allocate(length + 1 + BlockFormat.TAG_BYTES);
    assertThat(SEALER.sealInto(ByteBuffer.wrap(plain), exact)).isEqualTo(b.childRef());
    if (b.cipher()[0] == BlockFormat.DATA_ZSTD) {
      assertThat(10L * (b.cipherLength() - 1 - BlockFormat.TAG_BYTES)).isLessThanOrEqualTo(9L * length);
    }
  }

  @Test
  void theStoredNonceIsAuthenticated() {
    byte[] plain = plain(11, 20_000, true);
    SealedBlock b = SEALER.seal(plain);
    SealedBlock other = SEALER.seal(plain(12, 20_000, true));
    assertThat(b.cipher()[0]).isEqualTo(BlockFormat.DATA_ZSTD);
    byte[] zeroNonce = b.cipher().clone();
    Arrays.fill(zeroNonce, 1, BlockFormat.ZSTD_PREFIX_BYTES, (byte) 0);
    byte[] othersNonce = b.cipher().clone();
    System.arraycopy(other.cipher(), 1, othersNonce, 1, BlockFormat.NONCE_BYTES);
    byte[] asRaw = b.cipher().clone();
    asRaw[0] = BlockFormat.DATA_RAW;
    byte[] nonceStripped = new byte[b.cipherLength() - BlockFormat.NONCE_BYTES];
    nonceStripped[0] = BlockFormat.DATA_ZSTD;
    System.arraycopy(b.cipher(), BlockFormat.ZSTD_PREFIX_BYTES, nonceStripped, 1, nonceStripped.length - 1);
    for (byte[] c : List.of(zeroNonce, othersNonce, asRaw, nonceStripped)) {
      assertCorrupt(() -> BlockOpener.open(b.key(), c, plain.length));
      ByteBuffer target = ByteBuffer.allocateDirect(plain.length);
      assertCorrupt(() -> BlockOpener.openInto(b.key(), ByteBuffer.wrap(c), target, plain.length));
      assertThat(target.position()).isZero();
    }
    // a raw block posing as zstd: its first body bytes read as a nonce, and the tag fails
    byte[] rawPlain = plain(13, 20_000, false);
    SealedBlock raw = SEALER.seal(rawPlain);
    byte[] asZstd = raw.cipher().clone();
    asZstd[0] = BlockFormat.DATA_ZSTD;
    assertCorrupt(() -> BlockOpener.open(raw.key(), asZstd, rawPlain.length));
    // too short to hold header, nonce and tag: refused before any decryption
    for (int n = 1; n < BlockFormat.MIN_ZSTD_CIPHER_BYTES; n++) {
      byte[] shortBlock = Arrays.copyOf(b.cipher(), n);
      assertCorrupt(() -> BlockOpener.open(b.key(), shortBlock, plain.length));
      assertCorrupt(() -> BlockOpener.openInto(b.key(), ByteBuffer.wrap(shortBlock), ByteBuffer.allocate(plain.length),
          plain.length));
    }
  }

  @Test
  void aWrongPlainLengthIsRefusedWithoutOverAllocating() {
    byte[] compressible = plain(4, 100_000, true);
    SealedBlock z = SEALER.seal(compressible);
    assertThat(z.cipher()[0]).isEqualTo(BlockFormat.DATA_ZSTD);
    for (int wrong : List.of(0, 1, 99_999, 100_001, BlockFormat.MAX_PLAIN_BYTES)) {
      assertThatThrownBy(() -> BlockOpener.open(z.key(), z.cipher(), wrong))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOCK_CORRUPT));
    }
    SealedBlock raw = SEALER.seal(plain(5, 1000, false));
    assertThatThrownBy(() -> BlockOpener.open(raw.key(), raw.cipher(), 999))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOCK_CORRUPT));
    assertThatThrownBy(() -> BlockOpener.open(raw.key(), raw.cipher(), -1))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThatThrownBy(() -> SEALER.seal(new byte[BlockFormat.MAX_PLAIN_BYTES + 1]))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  @Test
  void everyBitFlipOfASealedBlockIsDetected() {
    for (boolean compressible : new boolean[] {false, true}) {
      byte[] plain = plain(6, 300, compressible);
      SealedBlock b = SEALER.seal(plain);
      // the zstd block's flips cover its stored nonce
      assertThat(b.cipher()[0]).isEqualTo(compressible ? BlockFormat.DATA_ZSTD : BlockFormat.DATA_RAW);
      for (int bit = 0; bit < b.cipher().length * 8; bit++) {
        byte[] c = b.cipher().clone();
        c[bit / 8] ^= (byte) (1 << (bit % 8));
        assertCorrupt(() -> BlockOpener.open(b.key(), c, plain.length));
        assertCorrupt(() -> BlockIds.verify(b.id(), c));
      }
      byte[] shorter = Arrays.copyOf(b.cipher(), b.cipher().length - 1);
      assertCorrupt(() -> BlockOpener.open(b.key(), shorter, plain.length));
      byte[] wrongKey = b.key().clone();
      wrongKey[0] ^= 1;
      assertCorrupt(() -> BlockOpener.open(wrongKey, b.cipher(), plain.length));
    }
  }

  @Test
  void aFailedOpenLeavesNoPlaintextInTheTarget() {
    byte[] plain = plain(7, 5000, false);
    SealedBlock b = SEALER.seal(plain);
    byte[] c = b.cipher().clone();
    c[c.length - 1] ^= 1;
    ByteBuffer target = ByteBuffer.allocate(5000);
    assertCorrupt(() -> BlockOpener.openInto(b.key(), ByteBuffer.wrap(c), target, 5000));
    assertThat(target.position()).isZero();
    assertThat(target.array()).containsOnly(0);
  }

  @Test
  void randomBytesNeverOpenAsAnythingButATypedError() {
    Random r = new Random(8);
    byte[] key = new byte[32];
    for (int i = 0; i < 3000; i++) {
      byte[] junk = new byte[r.nextInt(200)];
      r.nextBytes(junk);
      if (junk.length > 0) {
        junk[0] = (byte) (1 + r.nextInt(3));
      }
      r.nextBytes(key);
      try {
        BlockOpener.open(key, junk, r.nextInt(300));
      } catch (OutpostException expected) {
        // fine: typed
      }
      try {
        IndexBlock.open(key, junk);
      } catch (OutpostException expected) {
        // fine: typed
      }
    }
  }

  static void assertCorrupt(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOCK_CORRUPT));
  }

  @Test
  void oneSealerServesSeveralThreadsAtOnce() throws Exception {
    byte[][] plains = new byte[16][];
    SealedBlock[] expected = new SealedBlock[plains.length];
    for (int i = 0; i < plains.length; i++) {
      plains[i] = plain(100 + i, 20_000 + 5000 * i, i % 2 == 0);
      expected[i] = SEALER.seal(plains[i]);
    }
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
      List<java.util.concurrent.Future<?>> futures = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        futures.add(pool.submit(() -> {
          for (int round = 0; round < 20; round++) {
            for (int i = 0; i < plains.length; i++) {
              SealedBlock b = SEALER.seal(plains[i]);
              assertThat(b.cipher()).isEqualTo(expected[i].cipher());
              assertThat(BlockOpener.open(b.key(), b.cipher(), plains[i].length)).isEqualTo(plains[i]);
            }
          }
          return null;
        }));
      }
      for (var f : futures) {
        f.get();
      }
    }
  }
}
