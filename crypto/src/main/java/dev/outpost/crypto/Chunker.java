package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * FastCDC content-defined chunking with normalized chunking level 2 (FORMAT.md §2): chunks of
 * {@value #MIN_CHUNK_BYTES}..{@value #MAX_CHUNK_BYTES} bytes, about {@value #AVG_CHUNK_BYTES} on average, cut
 * where a gear hash keyed by the volume's {@link GearTable} matches a mask. The first
 * {@value #MIN_CHUNK_BYTES} bytes of a chunk are skipped unhashed, so chunking runs at several GB/s; the mean
 * chunk on random data is about 72 KiB.
 *
 * <p>Immutable and thread-safe; {@link Cursor}s are not.
 */
public final class Chunker {
  public static final int MIN_CHUNK_BYTES = 16 * 1024;
  public static final int AVG_CHUNK_BYTES = 64 * 1024;
  public static final int MAX_CHUNK_BYTES = 256 * 1024;
  /** Below the average size: 18 mask bits (16 + NC level 2), the top 18 bits of the hash. */
  static final long MASK_S = 0xFFFF_C000_0000_0000L;
  /** From the average size on: 14 mask bits (16 − 2), the top 14 bits of the hash. */
  static final long MASK_L = 0xFFFC_0000_0000_0000L;

  /** Receives one chunk; the bytes are valid only during the call. */
  @FunctionalInterface
  public interface ChunkSink {
    void accept(byte[] buffer, int offset, int length);
  }

  private final long[] gear;
  private final int zeroRunChunkLength;

  public Chunker(GearTable table) {
    this.gear = table.values;
    this.zeroRunChunkLength = nextChunkLength(new byte[MAX_CHUNK_BYTES], 0, MAX_CHUNK_BYTES);
  }

  /**
   * The length of every chunk cut inside a long run of zeros: a cut depends only on the bytes from the chunk's
   * start (the hash restarts there), so a chunk that starts with at least {@value #MAX_CHUNK_BYTES} zeros ahead
   * is always this long — {@value #MAX_CHUNK_BYTES} unless the volume's gear value for byte 0 makes the mask
   * match earlier. A writer can therefore append a run of zeros without reading it ({@link #zeroRunChunks}).
   */
  public int zeroRunChunkLength() {
    return zeroRunChunkLength;
  }

  /**
   * How many chunks of {@link #zeroRunChunkLength()} zeros splitting cuts first from a chunk start followed by
   * {@code zerosAhead} zeros, whatever comes after them: every chunk that starts at least {@value #MAX_CHUNK_BYTES}
   * bytes before the run's end. Fewer than {@value #MAX_CHUNK_BYTES} zeros of the run are left after them.
   */
  public long zeroRunChunks(long zerosAhead) {
    if (zerosAhead < MAX_CHUNK_BYTES) {
      return 0;
    }
    return (zerosAhead - MAX_CHUNK_BYTES) / zeroRunChunkLength + 1;
  }

  /**
   * Length of the chunk that starts at {@code offset}. The caller passes either at least
   * {@value #MAX_CHUNK_BYTES} bytes or everything that is left of the input; otherwise the cut may differ
   * from the one a longer buffer gives.
   *
   * @return 1..min(length, MAX) for length &gt; 0, 0 for length 0
   */
  public int nextChunkLength(byte[] buffer, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
    if (length <= MIN_CHUNK_BYTES) {
      return length;
    }
    int end = Math.min(length, MAX_CHUNK_BYTES);
    int normal = Math.min(AVG_CHUNK_BYTES, end);
    long[] g = gear;
    long fp = 0;
    int i = MIN_CHUNK_BYTES;
    for (; i < normal; i++) {
      fp = (fp << 1) + g[buffer[offset + i] & 0xff];
      if ((fp & MASK_S) == 0) {
        return i + 1;
      }
    }
    for (; i < end; i++) {
      fp = (fp << 1) + g[buffer[offset + i] & 0xff];
      if ((fp & MASK_L) == 0) {
        return i + 1;
      }
    }
    return end;
  }

  /** As {@link #nextChunkLength(byte[], int, int)} over {@code buffer}'s remaining bytes; position unchanged. */
  public int nextChunkLength(ByteBuffer buffer) {
    if (buffer.hasArray()) {
      return nextChunkLength(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
    }
    int length = buffer.remaining();
    if (length <= MIN_CHUNK_BYTES) {
      return length;
    }
    int base = buffer.position();
    int end = Math.min(length, MAX_CHUNK_BYTES);
    int normal = Math.min(AVG_CHUNK_BYTES, end);
    long[] g = gear;
    long fp = 0;
    int i = MIN_CHUNK_BYTES;
    for (; i < normal; i++) {
      fp = (fp << 1) + g[buffer.get(base + i) & 0xff];
      if ((fp & MASK_S) == 0) {
        return i + 1;
      }
    }
    for (; i < end; i++) {
      fp = (fp << 1) + g[buffer.get(base + i) & 0xff];
      if ((fp & MASK_L) == 0) {
        return i + 1;
      }
    }
    return end;
  }

  /** Cuts a whole in-memory region into chunks, in order. */
  public void split(byte[] buffer, int offset, int length, ChunkSink sink) {
    java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
    int pos = offset;
    int end = offset + length;
    while (pos < end) {
      int n = nextChunkLength(buffer, pos, end - pos);
      sink.accept(buffer, pos, n);
      pos += n;
    }
  }

  /**
   * Cuts {@code buffer}'s remaining bytes into slices (sharing its content, no copy), in order; the
   * buffer's position is left unchanged.
   */
  public void split(ByteBuffer buffer, Consumer<ByteBuffer> sink) {
    ByteBuffer view = buffer.duplicate();
    while (view.hasRemaining()) {
      int n = nextChunkLength(view);
      sink.accept(view.slice(view.position(), n));
      view.position(view.position() + n);
    }
  }

  /**
   * Cuts a stream into chunks, reading through one reusable buffer of 2 × {@value #MAX_CHUNK_BYTES} bytes.
   * Does not close {@code in}.
   *
   * @return the number of bytes read
   */
  public long split(InputStream in, ChunkSink sink) throws IOException {
    Cursor c = cursor(in);
    while (c.next()) {
      sink.accept(c.buffer(), c.offset(), c.length());
    }
    return c.bytesRead();
  }

  /** A pull-style iterator over the chunks of {@code in}. */
  public Cursor cursor(InputStream in) {
    return new Cursor(in);
  }

  /**
   * Pull-style chunk iterator over a stream. After {@link #next()} returns true the current chunk is
   * {@code buffer()[offset() .. offset()+length())}, valid until the next call. Not thread-safe.
   */
  public final class Cursor {
    private final InputStream in;
    private final byte[] buf = new byte[2 * MAX_CHUNK_BYTES];
    private int start;
    private int end;
    private boolean eof;
    private int chunkOffset;
    private int chunkLength;
    private long bytesRead;

    private Cursor(InputStream in) {
      this.in = in;
    }

    /** Advances to the next chunk; false at the end of the stream. */
    public boolean next() throws IOException {
      if (end - start < MAX_CHUNK_BYTES && !eof) {
        if (buf.length - start < MAX_CHUNK_BYTES) {
          System.arraycopy(buf, start, buf, 0, end - start);
          end -= start;
          start = 0;
        }
        while (end - start < MAX_CHUNK_BYTES && end < buf.length) {
          int r = in.read(buf, end, buf.length - end);
          if (r < 0) {
            eof = true;
            break;
          }
          if (r == 0) {
            throw new OutpostException(ErrorCode.INTERNAL, "input stream returned 0 bytes for a non-empty read");
          }
          end += r;
          bytesRead += r;
        }
      }
      if (start == end) {
        chunkLength = 0;
        return false;
      }
      chunkOffset = start;
      chunkLength = nextChunkLength(buf, start, end - start);
      start += chunkLength;
      return true;
    }

    public byte[] buffer() {
      return buf;
    }

    public int offset() {
      return chunkOffset;
    }

    public int length() {
      return chunkLength;
    }

    /** Bytes read from the stream so far. */
    public long bytesRead() {
      return bytesRead;
    }
  }
}
