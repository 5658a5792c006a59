package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
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
