package dev.outpost.client;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.ChildRef;
import dev.outpost.crypto.Chunker;
import dev.outpost.crypto.IndexBlock;
import dev.outpost.protocol.FileAttr;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RoundTripTest {
  @TempDir
  static Path dir;
  static EmbeddedOrigin origin;
  static OutpostClient client;

  @BeforeAll
  static void start() {
    origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
    client = OutpostClient.connect(TestOrigins.config(origin).withReadAheadBytes(1 << 20));
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

  static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, Chunker.MIN_CHUNK_BYTES - 1, Chunker.MIN_CHUNK_BYTES, Chunker.MIN_CHUNK_BYTES + 1,
      Chunker.MAX_CHUNK_BYTES - 1, Chunker.MAX_CHUNK_BYTES, Chunker.MAX_CHUNK_BYTES + 1, 3 * Chunker.MAX_CHUNK_BYTES})
  void contentReadsBackAsWritten(int size) throws IOException {
    byte[] data = random(size, size);
    String path = "/size-" + size;
    WriteReport r = client.write(path, data, WriteOptions.DEFAULTS);
    assertThat(r.bytesRead()).isEqualTo(size);
    assertThat(r.attr().size()).isEqualTo(size);
    assertThat(r.attr().root().isPresent()).isEqualTo(size > 0);
    assertThat(readAll(client.openRead(path))).isEqualTo(data);
    assertThat(client.stat(path).size()).isEqualTo(size);
  }

  @Test
  void multiMegabyteFileStreamsAndServesPositionalReadsAtRandomOffsets() throws IOException {
    int size = 6 << 20;
    byte[] data = random(42, size);
    WriteReport r = client.write("/big", data, WriteOptions.DEFAULTS);
    assertThat(r.blocksTotal()).isGreaterThan(size / Chunker.MAX_CHUNK_BYTES);
    assertThat(r.attr().root().orElseThrow().depth()).isPositive();
    assertThat(readAll(client.openRead("/big"))).isEqualTo(data);

    OutpostFile f = client.open("/big");
    Random rnd = new Random(7);
    for (int i = 0; i < 40; i++) {
      int off = rnd.nextInt(size);
      int len = rnd.nextInt(300_000) + 1;
      byte[] buf = new byte[len];
      int n = f.read(off, buf, 0, len);
      int expected = Math.min(len, size - off);
      assertThat(n).isEqualTo(expected);
      assertThat(Arrays.copyOf(buf, n)).isEqualTo(Arrays.copyOfRange(data, off, off + n));
    }
    ByteBuffer direct = ByteBuffer.allocateDirect(1000);
    assertThat(client.read("/big", size - 10, direct)).isEqualTo(10);
    byte[] tail = new byte[10];
    direct.flip().get(tail);
    assertThat(tail).isEqualTo(Arrays.copyOfRange(data, size - 10, size));
    assertThat(f.read(size, new byte[5], 0, 5)).isEqualTo(-1);
    try (InputStream in = f.inputStream(size - 100)) {
      assertThat(readAll(in)).isEqualTo(Arrays.copyOfRange(data, size - 100, size));
    }
  }

  @Test
  void aPositionalReadFetchesOnlyTheBlocksItOverlapsAndReusesCachedIndexBlocks() {
    int size = 8 << 20;
    byte[] data = random(77, size);
    client.write("/sparse-read", data, WriteOptions.DEFAULTS);
    OutpostFile f = client.open("/sparse-read");
    int depth = f.attr().root().orElseThrow().depth();
    byte[] buf = new byte[10];
    long before = client.blocksRequested();
    assertThat(f.read(size / 2, buf, 0, buf.length)).isEqualTo(10);
    assertThat(buf).isEqualTo(Arrays.copyOfRange(data, size / 2, size / 2 + 10));
    long first = client.blocksRequested() - before;
    // One data block (two if the range straddles a boundary) plus at most the index path and a prefetched sibling
    // per level.
    assertThat(first).isBetween(1L, 2L + 2L * depth);
    long before2 = client.blocksRequested();
    assertThat(f.read(size / 2 + 20, buf, 0, buf.length)).isEqualTo(10);
    assertThat(buf).isEqualTo(Arrays.copyOfRange(data, size / 2 + 20, size / 2 + 30));
    assertThat(client.blocksRequested() - before2).isBetween(1L, 2L);
  }

  @Test
  void enteringAnIndexBlockAsksAheadForTheSiblingsCoveringTwiceTheReadAheadWindow() throws IOException {
    long size = 96L << 20;
    client.write("/look-ahead", new RandomStream(99, size), WriteOptions.DEFAULTS);
    ContentRoot root = client.open("/look-ahead").content().orElseThrow();
    assertThat(root.depth()).isGreaterThanOrEqualTo(2);
    // The first level-2 block on the way down: its children are the level-1 index blocks a read enters first.
    IndexBlock.Opened node = client.indexCache().get(root.asChild()).join();
    while (node.level() > 2) {
      node = client.indexCache().get(node.children().getFirst()).join();
    }
    List<ChildRef> level1 = node.children();
    // Index groups are content-defined (several MiB to tens of MiB): the window is sized from the tree so that
    // twice it spans more than the next sibling.
    assertThat(level1).hasSizeGreaterThanOrEqualTo(3);
    long window = Math.max(ClientConfig.MIN_READ_AHEAD_BYTES, level1.get(1).plainBytes());
    List<ChildRef> wanted = new ArrayList<>();
    long covered = 0;
    for (int i = 1; i < level1.size() && (wanted.isEmpty() || covered < 2 * window); i++) {
      wanted.add(level1.get(i));
      covered += level1.get(i).plainBytes();
    }
    assertThat(wanted).as("index blocks beyond the next sibling are needed for this window").hasSizeGreaterThan(1);
    try (OutpostClient reader = OutpostClient.connect(TestOrigins.config(origin).withReadAheadBytes(window))) {
      OutpostFile f = reader.open("/look-ahead");
      // A positional read of a few bytes asks for no index block past its range.
      assertThat(f.read(0, new byte[10], 0, 10)).isEqualTo(10);
      for (ChildRef c : level1.subList(1, level1.size())) {
        assertThat(reader.indexCache().holds(c.id())).as("index block %s past a 10-byte range", c.id()).isFalse();
      }
      try (InputStream in = f.inputStream()) {
        assertThat(in.read()).isNotNegative();
        for (ChildRef c : wanted) {
          assertThat(reader.indexCache().holds(c.id())).as("index block %s asked for ahead", c.id()).isTrue();
        }
      }
    }
  }

  @Test
  void deepTreeOfCompressibleRepeatingContentReadsBack() throws IOException {
    // 40 MiB of a repeating 1 KiB pattern: identical maximal chunks, one block, many index entries.
    byte[] pattern = random(3, 1024);
    long size = 40L << 20;
    InputStream src = new InputStream() {
      long pos;

      @Override
      public int read() {
        return pos < size ? pattern[(int) (pos++ % 1024)] & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (pos >= size) {
          return -1;
        }
        int n = (int) Math.min(len, size - pos);
        for (int i = 0; i < n; i++) {
          b[off + i] = pattern[(int) ((pos + i) % 1024)];
        }
        pos += n;
        return n;
      }
    };
    WriteReport r = client.write("/pattern", src, WriteOptions.DEFAULTS);
    assertThat(r.bytesRead()).isEqualTo(size);
    assertThat(r.blocksUploaded()).isLessThan(10);
    assertThat(r.bytesUploaded()).isLessThan(1 << 20);
    OutpostFile f = client.open("/pattern");
    byte[] buf = new byte[5000];
    assertThat(f.read(size - 5000 - 17, buf, 0, buf.length)).isEqualTo(5000);
    for (int i = 0; i < buf.length; i++) {
      assertThat(buf[i]).isEqualTo(pattern[(int) ((size - 5000 - 17 + i) % 1024)]);
    }
    long total = 0;
    try (InputStream in = f.inputStream()) {
      byte[] chunk = new byte[1 << 16];
      int n;
      while ((n = in.read(chunk)) > 0) {
        for (int i = 0; i < n; i += 4099) {
          assertThat(chunk[i]).isEqualTo(pattern[(int) ((total + i) % 1024)]);
        }
        total += n;
      }
    }
    assertThat(total).isEqualTo(size);
  }

  @Test
  void outputStreamWritesInSmallPiecesCommitOnClose() throws IOException {
    byte[] data = random(9, 700_000);
    FileWrite w = client.openWrite("/pieces", WriteOptions.DEFAULTS.withMode(0600).withMtimeMillis(1_700_000_000_000L));
    for (int i = 0; i < data.length; i += 777) {
      w.write(data, i, Math.min(777, data.length - i));
    }
    w.close();
    FileAttr a = client.stat("/pieces");
    assertThat(a.mode()).isEqualTo(0600);
    assertThat(a.mtimeMillis()).isEqualTo(1_700_000_000_000L);
    assertThat(w.report().attr()).isEqualTo(a);
    assertThat(readAll(client.openRead("/pieces"))).isEqualTo(data);
  }

  @Test
  void localFileUploadAndDownloadKeepBytesAndMtime(@TempDir Path local) throws IOException {
    byte[] data = random(11, 300_000);
    Path src = local.resolve("src.bin");
    java.nio.file.Files.write(src, data);
    java.nio.file.Files.setLastModifiedTime(src, java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_123L));
    client.upload(src, "/uploaded.bin", WriteOptions.DEFAULTS);
    assertThat(client.stat("/uploaded.bin").mtimeMillis()).isEqualTo(1_600_000_000_123L);
    Path dst = local.resolve("dst.bin");
    assertThat(client.download("/uploaded.bin", dst)).isEqualTo(data.length);
    assertThat(java.nio.file.Files.readAllBytes(dst)).isEqualTo(data);
  }
}
