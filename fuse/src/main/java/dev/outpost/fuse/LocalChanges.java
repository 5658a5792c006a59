package dev.outpost.fuse;

import dev.outpost.client.FileWrite;
import dev.outpost.client.OutpostFile;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one handle changed in a file and has not committed, on top of the version it opened: the bytes written, at
 * their offsets in a sparse spool file (plaintext, deleted on close), the ranges written, how much of the version
 * still shows (a truncate hides the rest for good; later growth is zeros) and the size. Nothing of the version is
 * copied: reads merge the three, and {@link #writeTo} gives a commit the version's unchanged stretches by
 * reference ({@link FileWrite#append}), the written ranges as bytes and the rest as a run of zeros
 * ({@link FileWrite#writeZeros}), so truncating to 1 TiB or writing one byte into a large file costs what changed,
 * not the file's size.
 *
 * <p>Bounded: at most {@code maxRanges} written ranges are kept (a few dozen bytes each). One more merges the two
 * neighbours with the cheapest gap, copying the gap's visible bytes of the version into the spool (outside the
 * written ranges the spool is all holes, so a gap past the visible part costs nothing).
 *
 * <p>Not thread-safe: the {@link OpenFile} that owns it guards it with its monitor.
 */
final class LocalChanges implements AutoCloseable {
  static final int DEFAULT_MAX_RANGES = 4096;
  private static final int COPY_BUFFER_BYTES = 1 << 20;
  /** Read-only source of zeros for holes. */
  private static final byte[] ZEROS = new byte[64 << 10];

  private final Path spoolPath;
  private final FileChannel spool;
  private final Optional<OutpostFile> base;
  private final int maxRanges;
  /** Written ranges, start to end: disjoint and not touching (touching ones are merged). */
  private final TreeMap<Long, Long> written = new TreeMap<>();
  /** Bytes of the base version that still show; never grows. */
  private long baseVisible;
  private long size;

  /**
   * @param base the version the changes apply to; empty for a file that starts empty (created, or opened with
   *     O_TRUNC)
   * @throws IOException if the spool file cannot be made
   */
  LocalChanges(Path spoolDir, String prefix, Optional<OutpostFile> base, int maxRanges) throws IOException {
    this.spoolPath = Files.createTempFile(spoolDir, prefix, ".part");
    try {
      this.spool = FileChannel.open(spoolPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      Files.deleteIfExists(spoolPath);
      throw e;
    }
    this.base = base;
    this.maxRanges = maxRanges;
    this.baseVisible = base.map(OutpostFile::size).orElse(0L);
    this.size = baseVisible;
  }

  long size() {
    return size;
  }

  /** Written ranges kept (tests look at the bound). */
  int ranges() {
    return written.size();
  }

  /** Fills {@code dst} from {@code offset}; returns the bytes read (fewer only at the end of the file). */
  int read(ByteBuffer dst, long offset) throws IOException {
    int start = dst.position();
    long end = Math.min(size, offset + dst.remaining());
    long at = offset;
    while (at < end) {
      Map.Entry<Long, Long> range = written.floorEntry(at);
      long stop;
      if (range != null && range.getValue() > at) {
        stop = Math.min(end, range.getValue());
        readSpool(dst, at, stop);
      } else {
        Long next = written.higherKey(at);
        stop = next == null ? end : Math.min(end, next);
        long fromBase = Math.min(stop, baseVisible);
        if (at < fromBase) {
          readBase(dst, at, fromBase);
        }
        putZeros(dst, stop - Math.max(at, fromBase));
      }
      at = stop;
    }
    return dst.position() - start;
  }

  /** Writes all of {@code src} at {@code offset}; the file grows to its end if it was shorter. */
  void write(ByteBuffer src, long offset) throws IOException {
    long end = offset + src.remaining();
    long at = offset;
    while (src.hasRemaining()) {
      at += spool.write(src, at);
    }
    addRange(offset, end);
    size = Math.max(size, end);
  }

  /** Sets the size; what lies past it is gone, and growing shows zeros. */
  void truncate(long newSize) throws IOException {
    if (newSize < size) {
      while (true) {
        Map.Entry<Long, Long> last = written.lastEntry();
        if (last == null || last.getValue() <= newSize) {
          break;
        }
        written.remove(last.getKey());
        if (last.getKey() < newSize) {
          written.put(last.getKey(), newSize);
        }
      }
      // Past the end the spool must read as holes again, should the file grow over it later.
      if (spool.size() > newSize) {
        spool.truncate(newSize);
      }
      baseVisible = Math.min(baseVisible, newSize);
    }
    size = newSize;
  }

  /** The changed file as a commit's content: unchanged stretches of the base by reference, then bytes, zeros. */
  void writeTo(FileWrite w) throws IOException {
    long at = 0;
    for (Map.Entry<Long, Long> range : written.entrySet()) {
      writeGap(w, at, range.getKey());
      byte[] buf = new byte[(int) Math.min(COPY_BUFFER_BYTES, range.getValue() - range.getKey())];
      for (long p = range.getKey(); p < range.getValue(); ) {
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, (int) Math.min(buf.length, range.getValue() - p));
        readSpool(bb, p, p + bb.remaining());
        w.write(buf, 0, bb.position());
        p += bb.position();
      }
      at = range.getValue();
    }
    writeGap(w, at, size);
  }

  @Override
  public void close() throws IOException {
    try {
      spool.close();
    } finally {
      Files.deleteIfExists(spoolPath);
    }
  }

  /** {@code [from, to)} outside the written ranges: the base where it shows, zeros past it. */
  private void writeGap(FileWrite w, long from, long to) {
    long fromBase = Math.min(to, baseVisible);
    if (from < fromBase) {
      w.append(base.orElseThrow(), from, fromBase);
    }
    long zerosFrom = Math.max(from, fromBase);
    if (zerosFrom < to) {
      w.writeZeros(to - zerosFrom);
    }
  }

  private void readSpool(ByteBuffer dst, long from, long to) throws IOException {
    int limit = dst.limit();
    dst.limit(dst.position() + (int) (to - from));
    try {
      long at = from;
      while (dst.hasRemaining()) {
        int n = spool.read(dst, at);
        if (n < 0) {
          // Every range ends where something was written, and a truncate cuts ranges and spool alike.
          throw new OutpostException(ErrorCode.INTERNAL, "spool file ends at " + at + " inside a written range");
        }
        at += n;
      }
    } finally {
      dst.limit(limit);
    }
  }

  private static void putZeros(ByteBuffer dst, long n) {
    for (long left = n; left > 0; ) {
      int k = (int) Math.min(left, ZEROS.length);
      dst.put(ZEROS, 0, k);
      left -= k;
    }
  }

  private void readBase(ByteBuffer dst, long from, long to) {
    OutpostFile version = base.orElseThrow();
    int limit = dst.limit();
    dst.limit(dst.position() + (int) (to - from));
    try {
      long at = from;
      while (dst.hasRemaining()) {
        int n = version.read(at, dst);
        if (n <= 0) {
          throw new OutpostException(ErrorCode.BLOCK_CORRUPT, version.path() + ": the version ends at " + at
              + ", its size is " + version.size());
        }
        at += n;
      }
    } finally {
      dst.limit(limit);
    }
  }

  /** Adds {@code [from, to)} to the written ranges, merging what it touches, and keeps the bound. */
  private void addRange(long from, long to) throws IOException {
    if (from == to) {
      return;
    }
    long lo = from;
    long hi = to;
    Map.Entry<Long, Long> before = written.floorEntry(from);
    if (before != null && before.getValue() >= from) {
      lo = before.getKey();
      hi = Math.max(hi, before.getValue());
      written.remove(before.getKey());
    }
    for (Map.Entry<Long, Long> next = written.ceilingEntry(lo); next != null && next.getKey() <= hi;
        next = written.ceilingEntry(lo)) {
      hi = Math.max(hi, next.getValue());
      written.remove(next.getKey());
    }
    written.put(lo, hi);
    if (written.size() > maxRanges) {
      mergeCheapestGap();
    }
  }

  /** Joins the two neighbouring ranges whose gap shows the fewest bytes of the base, copying those into the spool. */
  private void mergeCheapestGap() throws IOException {
    Map.Entry<Long, Long> left = null;
    long bestCost = Long.MAX_VALUE;
    Map.Entry<Long, Long> prev = null;
    for (Map.Entry<Long, Long> e : written.entrySet()) {
      if (prev != null) {
        long cost = Math.max(0, Math.min(e.getKey(), baseVisible) - prev.getValue());
        if (cost < bestCost) {
          bestCost = cost;
          left = prev;
        }
      }
      prev = e;
    }
    long gapFrom = left.getValue();
    Map.Entry<Long, Long> right = written.higherEntry(left.getKey());
    long copyTo = Math.min(right.getKey(), baseVisible);
    for (long at = gapFrom; at < copyTo; ) {
      ByteBuffer bb = ByteBuffer.allocate((int) Math.min(COPY_BUFFER_BYTES, copyTo - at));
      readBase(bb, at, at + bb.remaining());
      bb.flip();
      while (bb.hasRemaining()) {
        at += spool.write(bb, at);
      }
    }
    written.remove(right.getKey());
    written.put(left.getKey(), right.getValue());
  }
}
