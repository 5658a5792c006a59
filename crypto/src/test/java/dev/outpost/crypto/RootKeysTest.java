package dev.outpost.crypto;

import static dev.outpost.crypto.SealTest.assertCorrupt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.RootRef;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class RootKeysTest {
  static final VolumeKey KEY = Vectors.volumeKey();
  static final byte[] ROOT = Vectors.range(0x70, 32);

  @Test
  void wrapsIntoRootRefAndUnwrapsForTheSameInodeOnly() {
    byte[] wrapped = RootKeys.wrap(KEY, 7, ROOT, new SecureRandom());
    assertThat(wrapped).hasSize(RootKeys.WRAPPED_BYTES).hasSizeLessThanOrEqualTo(RootRef.MAX_WRAPPED_KEY_BYTES);
    assertThat(RootKeys.unwrap(KEY, 7, wrapped)).isEqualTo(ROOT);
    assertThat(RootKeys.wrap(KEY, 7, ROOT, new SecureRandom())).isNotEqualTo(wrapped);
    assertCorrupt(() -> RootKeys.unwrap(KEY, 8, wrapped));
    assertCorrupt(() -> RootKeys.unwrap(VolumeKey.fromSecret(new byte[32], Vectors.VOLUME_ID), 7, wrapped));
    assertCorrupt(() -> RootKeys.unwrap(VolumeKey.fromSecret(Vectors.SECRET, new byte[16]), 7, wrapped));
    assertCorrupt(() -> RootKeys.unwrap(KEY, 7, new byte[10]));
  }

  @Test
  void everyBitFlipOfAWrappedKeyIsDetected() {
    byte[] wrapped = RootKeys.wrap(KEY, 1, ROOT, new SecureRandom());
    for (int bit = 0; bit < wrapped.length * 8; bit++) {
      byte[] w = wrapped.clone();
      w[bit / 8] ^= (byte) (1 << (bit % 8));
      assertCorrupt(() -> RootKeys.unwrap(KEY, 1, w));
    }
  }
}
