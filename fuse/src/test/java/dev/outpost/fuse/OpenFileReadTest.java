package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads of one open file in the orders libfuse delivers them: its worker threads pick up the kernel's read-ahead
 * requests in order but may run them out of order. A real origin on 127.0.0.1; no mount needed.
 */
class OpenFileReadTest {
  private static final int KIB = 1 << 10;
  private static final int FILE_BYTES = 6 << 20;
  private static final int REQUEST_BYTES = 128 * KIB;

  @TempDir
  Path tmp;
  EmbeddedOrigin origin;
  OutpostClient client;
  byte[] content;

  @BeforeEach
  void writeFile() throws Exception {
    origin = EmbeddedOrigin.start(Files.createDirectories(tmp.resolve("origin")), TestOrigins.VOLUME);
    client = TestOrigins.client(origin);
    content = new byte[FILE_BYTES];
    new Random(7).nextBytes(content);
    client.write("/f.bin", content, WriteOptions.DEFAULTS);
  }

  @AfterEach
  void close() {
    if (client != null) {
      client.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  @Test
  void requestsThatOvertakeEachOtherKeepTheReadAheadStream() {
    OpenFile f = open();
    int n = FILE_BYTES / REQUEST_BYTES;
    List<Integer> order = new ArrayList<>(List.of(0, 1, 3, 2, 4, 7, 5, 6, 10, 9, 8));
    for (int i = 11; i < n; i++) {
      order.add(i);
    }
    for (int i : order) {
      assertRead(f, (long) i * REQUEST_BYTES, REQUEST_BYTES);
    }
    assertThat(f.streamsOpened()).as("read-ahead streams opened for one sequential reader").isEqualTo(1);
  }

  @Test
  void shuffledRequestsOfMixedSizesReadTheFileWithOneStream() {
    for (int seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      // The file cut into requests of 4 KiB..1 MiB; every run of up to 4 neighbours (at most 2 MiB together)
      // arrives in a random order, as with 4 FUSE threads.
      List<long[]> requests = new ArrayList<>();
      for (long at = 0; at < FILE_BYTES; ) {
        int len = (int) Math.min(FILE_BYTES - at, (1 + random.nextInt(256)) * 4 * KIB);
        requests.add(new long[] {at, len});
        at += len;
      }
      List<long[]> arrival = new ArrayList<>();
      for (int i = 0; i < requests.size(); ) {
        List<long[]> run = new ArrayList<>();
        long span = 0;
        int runLength = 1 + random.nextInt(4);
        while (i < requests.size() && run.size() < runLength && span + requests.get(i)[1] <= OpenFile.MAX_REORDER_BYTES) {
          span += requests.get(i)[1];
          run.add(requests.get(i++));
        }
        if (run.isEmpty()) {
          run.add(requests.get(i++));
        }
        Collections.shuffle(run, random);
        arrival.addAll(run);
      }
      OpenFile f = open();
      for (long[] r : arrival) {
        assertRead(f, r[0], (int) r[1]);
      }
      assertThat(f.streamsOpened()).as("streams opened, seed %d", seed).isEqualTo(1);
      f.close();
    }
  }

  @Test
  void aReaderThatJumpsBackReadsPositionallyThenGetsANewStream() {
    OpenFile f = open();
    for (int i = 0; i < 24; i++) {
      assertRead(f, (long) i * REQUEST_BYTES, REQUEST_BYTES);
    }
    assertThat(f.streamsOpened()).isEqualTo(1);
    // Far behind the stream: one positional read, the stream stays where it is.
    assertRead(f, 0, REQUEST_BYTES);
    assertThat(f.streamsOpened()).isEqualTo(1);
    // The next read continues it: a sequential reader again, with its own stream.
    assertRead(f, REQUEST_BYTES, REQUEST_BYTES);
    assertThat(f.streamsOpened()).isEqualTo(2);
    for (int i = 2; i < 8; i++) {
      assertRead(f, (long) i * REQUEST_BYTES, REQUEST_BYTES);
    }
    assertThat(f.streamsOpened()).isEqualTo(2);
  }

  @Test
  void overlappingAndRepeatedRequestsReturnTheRightBytes() {
    OpenFile f = open();
    assertRead(f, 0, REQUEST_BYTES);
    assertRead(f, REQUEST_BYTES, REQUEST_BYTES);
    // Skips 128 KiB ahead: those bytes are kept for the request that was overtaken.
    assertRead(f, 3L * REQUEST_BYTES, REQUEST_BYTES);
    // Starts inside the kept bytes but ends past them (in what the stream already passed).
    assertRead(f, 2L * REQUEST_BYTES + 4 * KIB, REQUEST_BYTES);
    // Inside the kept bytes, twice.
    assertRead(f, 2L * REQUEST_BYTES, 64 * KIB);
    assertRead(f, 2L * REQUEST_BYTES, 64 * KIB);
    // Past the end of the file: short, then nothing.
    assertRead(f, 4L * REQUEST_BYTES, REQUEST_BYTES);
    assertRead(f, FILE_BYTES - 1000, REQUEST_BYTES);
    assertThat(f.read(ByteBuffer.allocate(10), FILE_BYTES)).isZero();
    assertThat(f.streamsOpened()).isEqualTo(1);
  }

  private OpenFile open() {
    return OpenFile.open(1, client, tmp, p -> 0, client.open("/f.bin"), false, false);
  }

  /** Reads like FUSE (into native memory) and compares with the file's bytes. */
  private void assertRead(OpenFile f, long offset, int len) {
    ByteBuffer dst = ByteBuffer.allocateDirect(len);
    int n = f.read(dst, offset);
    int expected = (int) Math.max(0, Math.min(len, FILE_BYTES - offset));
    assertThat(n).as("bytes read at %d", offset).isEqualTo(expected);
    byte[] got = new byte[n];
    dst.flip().get(got);
    assertThat(Arrays.equals(got, 0, n, content, (int) offset, (int) offset + n))
        .as("content of [%d, %d)", offset, offset + n).isTrue();
  }
}
