package dev.outpost.client;

import java.io.InputStream;
import java.util.SplittableRandom;

/** {@code length} pseudo-random, non-repeating bytes from a seed, generated on the fly (no memory held). */
final class RandomStream extends InputStream {
  private final SplittableRandom random;
  private long left;
  private long word;
  private int wordLeft;

  RandomStream(long seed, long length) {
    this.random = new SplittableRandom(seed);
    this.left = length;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (left <= 0) {
      return -1;
    }
    int n = (int) Math.min(len, left);
    for (int i = 0; i < n; i++) {
      if (wordLeft == 0) {
        word = random.nextLong();
        wordLeft = 8;
      }
      b[off + i] = (byte) word;
      word >>>= 8;
      wordLeft--;
    }
    left -= n;
    return n;
  }
}
