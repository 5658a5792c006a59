package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files at the volume's maximum size, and files made mostly of zeros, through a real origin. */
class SparseFileTest {
  /** Only keeps a hang from passing. */
  static final Duration HANG_BOUND = Duration.ofSeconds(20);

  @TempDir
  static Path dir;
  static EmbeddedOrigin origin;
  static OutpostClient client;

  @BeforeAll
  static void start() {
    origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
    client = TestOrigins.client(origin);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  static byte[] random(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void truncatePastTheMaximumFileSizeFailsAtOnceAndChangesNothing() {
    client.write("/limit", random(1, 1000), WriteOptions.DEFAULTS);
    long version = client.stat("/limit").version();
    assertTimeoutPreemptively(HANG_BOUND, () -> {
      assertThatThrownBy(() -> client.truncate("/limit", BlockFormat.MAX_FILE_BYTES + 1))
          .isInstanceOfSatisfying(OutpostException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.FILE_TOO_LARGE);
            assertThat(e.getMessage()).contains("/limit").contains("17592186044416");
          });
      assertThatThrownBy(() -> client.truncate("/limit", Long.MAX_VALUE))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FILE_TOO_LARGE));
    });
    assertThat(client.stat("/limit").version()).isEqualTo(version);
    assertThat(client.stat("/limit").size()).isEqualTo(1000);
  }

  static final long TIB = 1L << 40;

  @Test
  void truncateToOneTebibyteIsQuickUploadsLittleAndReadsAsZeros() {
    client.write("/tb", random(2, 5000), WriteOptions.DEFAULTS);
    WriteReport r = assertTimeoutPreemptively(HANG_BOUND, () -> client.truncate("/tb", TIB));
    assertThat(r.attr().size()).isEqualTo(TIB);
    // The shared zero chunk and the index blocks repeated over it: O(1) blocks, whatever the size.
    assertThat(r.bytesUploaded()).isLessThan(256 << 10);
    assertThat(r.bytesRead()).as("plaintext chunked").isLessThan(1 << 20);
    assertThat(client.stat("/tb").size()).isEqualTo(TIB);
    byte[] head = new byte[6000];
    assertThat(client.read("/tb", 0, head, 0, head.length)).isEqualTo(head.length);
    assertThat(Arrays.copyOf(head, 5000)).isEqualTo(random(2, 5000));
    assertThat(Arrays.copyOfRange(head, 5000, 6000)).containsOnly(0);
    for (long at : new long[] {TIB / 3, TIB / 2 - 7, TIB - (1 << 20)}) {
      byte[] b = new byte[1 << 20];
      Arrays.fill(b, (byte) 1);
      assertThat(client.read("/tb", at, b, 0, b.length)).as("read at %d", at).isEqualTo(b.length);
      assertThat(b).as("bytes at %d", at).containsOnly(0);
    }
    assertThat(client.read("/tb", TIB, new byte[1], 0, 1)).isEqualTo(-1);
  }

  @Test
  void truncateExtendsAndShrinksAcrossChunkBoundariesReadingOnlyTheChunksItCuts() throws IOException {
    byte[] data = random(3, 3 << 20);
    client.write("/cut", data, WriteOptions.DEFAULTS.withMode(0640));
    byte[] expected = data;
    long[] sizes = {
        (3 << 20) + 1,          // one byte more
        100L << 20,             // a long run of zeros after the data
        (3 << 20) - 100_000,    // back into the data
        1_000_000,              // into the middle of some chunk
        (100L << 20) + 12_345,  // zeros again, ending mid-chunk
        262_144,                // one maximal chunk
        262_145,
        17,                     // shorter than the smallest chunk
        (5L << 20) + 3,
    };
    for (long size : sizes) {
      WriteReport r = client.truncate("/cut", size);
      expected = Arrays.copyOf(expected, (int) Math.min(size, 200L << 20));
      assertThat(r.attr().size()).isEqualTo(size);
      // What is kept is reused by reference; only the chunk the new end cuts is read again (plus its neighbour
      // until the chunk boundaries agree).
      assertThat(r.bytesRead()).as("plaintext chunked for size %d", size).isLessThan(2 << 20);
      try (InputStream in = client.openRead("/cut")) {
        assertThat(in.readAllBytes()).as("content after truncate to %d", size).isEqualTo(expected);
      }
    }
    assertThat(client.stat("/cut").mode()).isEqualTo(0640);
  }

  @Test
  void readingAHoleFetchesNoDataBlocks() {
    client.write("/hole-read", new byte[0], WriteOptions.DEFAULTS);
    client.truncate("/hole-read", 1L << 30);
    OutpostFile f = client.open("/hole-read");
    long before = client.blocksRequested();
    byte[] b = new byte[8 << 20];
    long total = 0;
    try (InputStream in = f.inputStream()) {
      int n;
      while (total < (256L << 20) && (n = in.read(b)) > 0) {
        total += n;
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    assertThat(total).isEqualTo(256L << 20);
    // Index blocks only: every leaf is the volume's zero chunk, whose plaintext the client knows.
    assertThat(client.blocksRequested() - before).isLessThan(8);
  }

  @Test
  void aHoleWrittenPastTheEndReadsAsZerosAndCostsNoMoreThanItsEdges() {
    FileWrite w = client.openWrite("/holes", WriteOptions.DEFAULTS);
    w.write(random(4, 70_000));
    w.writeZeros(64L << 30);
    w.write(random(5, 30_000));
    w.close();
    WriteReport r = w.report();
    long size = 70_000 + (64L << 30) + 30_000;
    assertThat(r.attr().size()).isEqualTo(size);
    assertThat(r.bytesRead()).isLessThan(2 << 20);
    assertThat(r.bytesUploaded()).isLessThan(256 << 10);
    byte[] b = new byte[100_000];
    assertThat(client.read("/holes", 20_000, b, 0, b.length)).isEqualTo(b.length);
    assertThat(Arrays.copyOf(b, 50_000)).isEqualTo(Arrays.copyOfRange(random(4, 70_000), 20_000, 70_000));
    assertThat(Arrays.copyOfRange(b, 50_000, b.length)).containsOnly(0);
    assertThat(client.read("/holes", size - 30_000, b, 0, b.length)).isEqualTo(30_000);
    assertThat(Arrays.copyOf(b, 30_000)).isEqualTo(random(5, 30_000));
  }

  @Test
  void aFileOfExactlyTheMaximumSizeIsWrittenAndOneMoreByteIsRefused() {
    FileWrite w = client.openWrite("/max", WriteOptions.DEFAULTS);
    w.writeZeros(BlockFormat.MAX_FILE_BYTES - 1);
    w.write(7);
    w.close();
    assertThat(client.stat("/max").size()).isEqualTo(BlockFormat.MAX_FILE_BYTES);
    byte[] last = new byte[2];
    assertThat(client.read("/max", BlockFormat.MAX_FILE_BYTES - 2, last, 0, 2)).isEqualTo(2);
    assertThat(last).containsExactly(0, 7);

    FileWrite over = client.openWrite("/over", WriteOptions.DEFAULTS);
    over.writeZeros(BlockFormat.MAX_FILE_BYTES);
    assertThatThrownBy(() -> over.write(1))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FILE_TOO_LARGE));
    assertThatThrownBy(over::close).isInstanceOf(OutpostException.class);
    assertThat(client.statIfExists("/over")).isEmpty();
    FileWrite zeros = client.openWrite("/over", WriteOptions.DEFAULTS);
    assertThatThrownBy(() -> zeros.writeZeros(BlockFormat.MAX_FILE_BYTES + 1))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FILE_TOO_LARGE));
  }

  @Test
  void appendTakesOnlyAVersionThisClientOpenedAndARangeInsideIt() {
    client.write("/src", random(6, 10_000), WriteOptions.DEFAULTS);
    OutpostFile src = client.open("/src");
    FileWrite w = client.openWrite("/dst", WriteOptions.DEFAULTS);
    assertThatThrownBy(() -> w.append(src, 5_000, 10_001))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    try (OutpostClient other = TestOrigins.client(origin)) {
      FileWrite w2 = client.openWrite("/dst", WriteOptions.DEFAULTS);
      assertThatThrownBy(() -> w2.append(other.open("/src"), 0, 10))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
    FileWrite ok = client.openWrite("/dst", WriteOptions.DEFAULTS);
    ok.append(src, 9_000, 10_000);
    ok.append(src, 0, 1_000);
    ok.close();
    byte[] expected = new byte[2_000];
    System.arraycopy(random(6, 10_000), 9_000, expected, 0, 1_000);
    System.arraycopy(random(6, 10_000), 0, expected, 1_000, 1_000);
    byte[] got = new byte[3_000];
    assertThat(client.read("/dst", 0, got, 0, got.length)).isEqualTo(2_000);
    assertThat(Arrays.copyOf(got, 2_000)).isEqualTo(expected);
  }

  /**
   * The origin walks trees without keys (GC's mark, fsck, warm listings): a tree that repeats one chunk and its
   * index blocks millions of times is walked once per distinct block, its blocks survive a collection, and fsck
   * finds the volume healthy.
   */
  @Test
  void aSparseTreeSurvivesGarbageCollectionAndFsckFindsItHealthy(@TempDir Path own) {
    Path data;
    try (EmbeddedOrigin o = EmbeddedOrigin.start(own, TestOrigins.VOLUME); OutpostClient c = TestOrigins.client(o)) {
      c.write("/s", random(7, 100_000), WriteOptions.DEFAULTS);
      c.truncate("/s", TIB);
      c.write("/gone", random(8, 50_000), WriteOptions.DEFAULTS);
      c.rm("/gone", false);
      assertTimeoutPreemptively(HANG_BOUND, () -> o.server().collectGarbage());
      byte[] b = new byte[4096];
      assertThat(c.read("/s", TIB - 4096, b, 0, b.length)).isEqualTo(b.length);
      assertThat(b).containsOnly(0);
      assertThat(c.read("/s", 0, b, 0, b.length)).isEqualTo(b.length);
      assertThat(b).isEqualTo(Arrays.copyOf(random(7, 100_000), 4096));
      data = o.dataDir();
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = assertTimeoutPreemptively(HANG_BOUND, () -> dev.outpost.origin.cli.OriginMain.run(
        new java.io.PrintStream(out, true), new java.io.PrintStream(err, true), "fsck", "--data", data.toString()));
    assertThat(code).as("fsck: %s %s", out, err).isZero();
    assertThat(out.toString()).contains("healthy");
  }
}
