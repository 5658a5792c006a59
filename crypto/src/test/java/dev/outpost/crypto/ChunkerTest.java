package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ChunkerTest {
  static final Chunker CHUNKER = new Chunker(Vectors.volumeKey().gearTable());

  static byte[] data(long seed, int length, boolean compressible) {
    byte[] b = new byte[length];
    Random r = new Random(seed);
    if (compressible) {
      for (int i = 0; i < length; i++) {
        b[i] = (byte) ('a' + r.nextInt(4) + ((i / 4096) % 3));
      }
    } else {
      r.nextBytes(b);
    }
    return b;
  }

  static List<int[]> cuts(byte[] data) {
    List<int[]> out = new ArrayList<>();
    CHUNKER.split(data, 0, data.length, (b, off, len) -> out.add(new int[] {off, len}));
    return out;
  }

  @Property(tries = 25)
  void chunksRespectBoundsAndConcatenateToTheInput(@ForAll long seed, @ForAll @IntRange(max = 1_500_000) int length,
      @ForAll boolean compressible) {
    byte[] data = data(seed, length, compressible);
    List<int[]> cuts = cuts(data);
    int expectedOffset = 0;
    for (int i = 0; i < cuts.size(); i++) {
      int[] c = cuts.get(i);
      assertThat(c[0]).isEqualTo(expectedOffset);
      assertThat(c[1]).isBetween(i == cuts.size() - 1 ? 1 : Chunker.MIN_CHUNK_BYTES, Chunker.MAX_CHUNK_BYTES);
      expectedOffset += c[1];
    }
    assertThat(expectedOffset).isEqualTo(length);
  }

  @Property(tries = 20)
  void streamingInOddReadsCutsLikeOneBuffer(@ForAll long seed, @ForAll @IntRange(max = 1_200_000) int length,
      @ForAll @IntRange(min = 1, max = 70_000) int maxRead) throws IOException {
    byte[] data = data(seed, length, false);
    List<int[]> whole = cuts(data);
    Random r = new Random(seed);
    InputStream odd = new FilterInputStream(new ByteArrayInputStream(data)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1 + r.nextInt(maxRead)));
      }
    };
    List<int[]> streamed = new ArrayList<>();
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    long[] offset = {0};
    long read = CHUNKER.split(odd, (b, off, len) -> {
      streamed.add(new int[] {(int) offset[0], len});
      offset[0] += len;
      joined.write(b, off, len);
    });
    assertThat(read).isEqualTo(length);
    assertThat(streamed).usingElementComparator(ChunkerTest::compare).containsExactlyElementsOf(whole);
    assertThat(joined.toByteArray()).isEqualTo(data);
  }

  @Property(tries = 10)
  void directAndHeapBuffersCutLikeArrays(@ForAll long seed, @ForAll @IntRange(max = 1_000_000) int length) {
    byte[] data = data(seed, length, false);
    List<int[]> whole = cuts(data);
    ByteBuffer direct = ByteBuffer.allocateDirect(length).put(data).flip();
    for (ByteBuffer buf : List.of(direct, ByteBuffer.wrap(data))) {
      List<int[]> got = new ArrayList<>();
      int[] at = {0};
      CHUNKER.split(buf, slice -> {
        got.add(new int[] {at[0], slice.remaining()});
        byte[] copy = new byte[slice.remaining()];
        slice.get(copy);
        assertThat(copy).isEqualTo(java.util.Arrays.copyOfRange(data, at[0], at[0] + copy.length));
        at[0] += copy.length;
      });
      assertThat(got).usingElementComparator(ChunkerTest::compare).containsExactlyElementsOf(whole);
      assertThat(buf.position()).isZero();
    }
  }

  @Property(tries = 20)
  void anInsertChangesOnlyChunksNearIt(@ForAll long seed, @ForAll @IntRange(min = 1, max = 64) int insertLength) {
    byte[] data = data(seed, 3_000_000, false);
    Random r = new Random(seed ^ 0x5eed);
    int at = 1_000_000 + r.nextInt(1_000_000);
    byte[] insert = new byte[insertLength];
    r.nextBytes(insert);
    byte[] edited = new byte[data.length + insertLength];
    System.arraycopy(data, 0, edited, 0, at);
    System.arraycopy(insert, 0, edited, at, insertLength);
    System.arraycopy(data, at, edited, at + insertLength, data.length - at);

    Set<Integer> before = new HashSet<>();
    cuts(data).forEach(c -> before.add(c[0]));
    List<int[]> after = cuts(edited);
    // Every cut before the insert is unchanged, and within a few chunks after it the cuts are the old ones
    // shifted by the insert: the chunker has resynchronised.
    int changed = 0;
    for (int[] c : after) {
      int start = c[0];
      boolean same = start <= at ? before.contains(start) : before.contains(start - insertLength);
      if (!same) {
        changed++;
      }
      if (start <= at - Chunker.MAX_CHUNK_BYTES) {
        assertThat(same).as("cut at %d before the insert at %d", start, at).isTrue();
      }
    }
    assertThat(changed).isLessThanOrEqualTo(3);
    for (int[] c : after) {
      if (c[0] > at + 4 * Chunker.MAX_CHUNK_BYTES) {
        assertThat(before).as("cut after the insert").contains(c[0] - insertLength);
      }
    }
  }

  @Property(tries = 5)
  void averageChunkIsNearTheTarget(@ForAll long seed) {
    byte[] data = data(seed, 8_000_000, false);
    int n = cuts(data).size();
    assertThat(data.length / n).isBetween(55_000, 90_000);
  }

  static int compare(int[] a, int[] b) {
    return a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]);
  }

  /** The volume's table with the value for byte 0 replaced. */
  static Chunker withZeroGear(long g0) {
    byte[] bytes = Vectors.gearBytes(Vectors.volumeKey().gearTable());
    ByteBuffer.wrap(bytes).putLong(0, g0);
    return new Chunker(GearTable.fromBytes(bytes));
  }

  @Test
  void theZeroRunChunkLengthIsMaximalUnlessTheGearOfZeroMatchesTheMask() {
    assertThat(CHUNKER.zeroRunChunkLength()).isEqualTo(Chunker.MAX_CHUNK_BYTES);
    // fp = 0 matches the small mask at once: cut right after the unhashed minimum.
    assertThat(withZeroGear(0).zeroRunChunkLength()).isEqualTo(Chunker.MIN_CHUNK_BYTES + 1);
    // fp settles at -G[0] after 64 steps: here it passes the small mask but matches the large one.
    long g0 = -0x0001_0000_0000_0000L;
    assertThat(withZeroGear(g0).zeroRunChunkLength()).isEqualTo(Chunker.AVG_CHUNK_BYTES + 1);
    assertThat(CHUNKER.zeroRunChunks(Chunker.MAX_CHUNK_BYTES - 1)).isZero();
    assertThat(CHUNKER.zeroRunChunks(Chunker.MAX_CHUNK_BYTES)).isEqualTo(1);
    assertThat(CHUNKER.zeroRunChunks(1L << 40)).isEqualTo((1L << 40) / Chunker.MAX_CHUNK_BYTES);
  }

  /**
   * Data, a run of zeros, data: the chunks splitting cuts inside the run are what zeroRunChunks predicts from the
   * first cut inside it, and the rest of the run is cut with what follows, for each kind of zero-run length.
   */
  @Property(tries = 30)
  void zeroRunChunksPredictTheCutsInsideARun(@ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int table,
      @ForAll @IntRange(max = 300_000) int headLength, @ForAll @IntRange(max = 1_200_000) int zeros,
      @ForAll @IntRange(max = 300_000) int tailLength) {
    Chunker chunker = switch (table) {
      case 0 -> CHUNKER;
      case 1 -> withZeroGear(0);
      default -> withZeroGear(-0x0001_0000_0000_0000L);
    };
    byte[] data = new byte[headLength + zeros + tailLength];
    Random r = new Random(seed);
    for (int i = 0; i < headLength; i++) {
      data[i] = (byte) r.nextInt();
    }
    for (int i = headLength + zeros; i < data.length; i++) {
      data[i] = (byte) r.nextInt();
    }
    List<Integer> starts = new ArrayList<>();
    chunker.split(data, 0, data.length, (b, off, len) -> starts.add(off));
    starts.add(data.length);
    int runEnd = headLength + zeros;
    // The first chunk start inside the run (or at its start), if any.
    int k = 0;
    while (k < starts.size() - 1 && starts.get(k) < headLength) {
      k++;
    }
    if (starts.get(k) >= runEnd) {
      return;
    }
    long predicted = chunker.zeroRunChunks(runEnd - starts.get(k));
    for (int j = 0; j < predicted; j++) {
      assertThat(starts.get(k + j + 1) - starts.get(k + j)).isEqualTo(chunker.zeroRunChunkLength());
    }
    int after = starts.get(k + (int) predicted);
    assertThat(runEnd - after).isLessThan(Chunker.MAX_CHUNK_BYTES);
  }
}
