package dev.outpost.bench.jmh;

import dev.outpost.crypto.VolumeKey;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Deterministic benchmark inputs: incompressible bytes, text-like bytes and a fixed volume key. */
final class Payloads {
  static final int MIB = 1024 * 1024;
  /** The chunk size of the sealing, opening and block-read benchmarks: FastCDC's average chunk. */
  static final int CHUNK_BYTES = 64 * 1024;
  /** Chunks handled per invocation by the per-chunk benchmarks: 16 × 64 KiB = one MiB, one operation. */
  static final int CHUNKS_PER_MIB = MIB / CHUNK_BYTES;

  private static final String[] WORDS = (
      "the of and to in is that for it as was with be by on not he this are or his from at which but have an "
          + "they you were her she there been one all we their has would when if so no will more can out up "
          + "cache proxy origin block chunk volume lease commit snapshot directory file inode attribute "
          + "branch office network latency throughput report quarterly budget invoice customer contract "
          + "meeting schedule project milestone release version review approved pending draft final")
      .split(" ");

  private Payloads() {}

  /** {@code length} uniformly random bytes: zstd cannot shrink them, so sealing takes the raw path. */
  static byte[] random(int length, long seed) {
    byte[] b = new byte[length];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  /**
   * {@code length} bytes of word salad with punctuation and line breaks, about 3–4× compressible by zstd
   * level 3, like office documents and source code.
   */
  static byte[] text(int length, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    StringBuilder s = new StringBuilder(length + 64);
    int lineChars = 0;
    while (s.length() < length) {
      String w = WORDS[r.nextInt(WORDS.length)];
      s.append(w);
      lineChars += w.length() + 1;
      int p = r.nextInt(20);
      if (p == 0) {
        s.append('.');
      } else if (p == 1) {
        s.append(',');
      } else if (p == 2) {
        s.append(' ').append(r.nextInt(100_000));
      }
      if (lineChars > 60 + r.nextInt(20)) {
        s.append('\n');
        lineChars = 0;
      } else {
        s.append(' ');
      }
    }
    byte[] all = s.toString().getBytes(StandardCharsets.US_ASCII);
    return java.util.Arrays.copyOf(all, length);
  }

  /** A fixed volume key, so chunk boundaries (the gear table) are the same on every run. */
  static VolumeKey volumeKey() {
    byte[] secret = new byte[VolumeKey.SECRET_BYTES];
    byte[] volumeId = new byte[VolumeKey.VOLUME_ID_BYTES];
    for (int i = 0; i < secret.length; i++) {
      secret[i] = (byte) (0x5a ^ i);
    }
    for (int i = 0; i < volumeId.length; i++) {
      volumeId[i] = (byte) i;
    }
    return VolumeKey.fromSecret(secret, volumeId);
  }
}
