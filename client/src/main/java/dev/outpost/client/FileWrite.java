package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.BlockSealer;
import dev.outpost.crypto.ChildRef;
import dev.outpost.crypto.Chunker;
import dev.outpost.crypto.FileRoot;
import dev.outpost.crypto.FileTreeBuilder;
import dev.outpost.crypto.SealedBlock;
import dev.outpost.protocol.FileAttr;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One file version being written: bytes are cut into chunks as they arrive (a window of 2 × the largest
 * chunk, never the whole file), sealed in parallel on the worker pool, fed in order to the index tree builder
 * and to the {@link Uploader}; {@link #close()} uploads the rest, then commits through {@code committer}.
 *
 * <p>Besides bytes, a write takes a run of zeros ({@link #writeZeros}) and a stretch of an existing version
 * ({@link #append}) without reading them: the tree is the one writing the same bytes would build (FastCDC's cuts
 * depend only on the bytes since the last cut, so where the cuts are known they are not recomputed), but a long
 * run of zeros is the volume's one zero chunk referenced many times, and an appended stretch reuses the chunks
 * of the version it comes from once this file's cuts meet them. Extending a file or changing a few bytes of it
 * therefore costs O(1) new blocks and O(log size) work plus the chunks around each change.
 *
 * <p>Not thread-safe (an OutputStream). After a failure the stream is unusable and nothing is committed; a
 * write that would take the file past {@link BlockFormat#MAX_FILE_BYTES} is such a failure (FILE_TOO_LARGE),
 * before any of its bytes are taken.
 */
public final class FileWrite extends OutputStream {
  private final Chunker chunker;
  private final BlockSealer sealer;
  private final Executor workers;
  private final int maxSealsInFlight;
  private final Uploader uploader;
  private final FileTreeBuilder tree;
  private final ZeroChunk zero;
  /** The client's fetcher: {@link #append} takes only versions this client opened (their keys are this volume's). */
  private final BlockFetcher fetcher;
  private final String path;
  private final Committer committer;
  /** Uncut bytes, {@code buf[start..end)}; fewer than a maximal chunk between calls, so every earlier cut is final. */
  private final byte[] buf = new byte[2 * Chunker.MAX_CHUNK_BYTES];
  private final ArrayDeque<CompletableFuture<SealedBlock>> sealing = new ArrayDeque<>();
  private int start;
  private int end;
  /** Bytes of the file so far. */
  private long size;
  /** Bytes taken into the window: written, read back from an appended version, zeros around a skipped run. */
  private long bytesChunked;
  private byte[] chunkBuffer;
  private boolean closed;
  private boolean failed;
  private WriteReport report;

  /** Publishes the new version once its blocks are at the server (empty root: an empty file). */
  interface Committer {
    FileAttr commit(Optional<FileRoot> root);
  }

  FileWrite(String path, Chunker chunker, BlockSealer sealer, Executor workers, int maxSealsInFlight,
      Uploader uploader, ZeroChunk zero, BlockFetcher fetcher, Committer committer) {
    this.path = path;
    this.chunker = chunker;
    this.sealer = sealer;
    this.workers = workers;
    this.maxSealsInFlight = maxSealsInFlight;
    this.uploader = uploader;
    this.zero = zero;
    this.fetcher = fetcher;
    this.committer = committer;
    this.tree = new FileTreeBuilder(sealer, uploader::add);
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b) {
    write(b, 0, b.length);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    checkOpen();
    try {
      BlockFormat.checkFileSize(path, size + len);
      take(b, off, len);
    } catch (RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  /**
   * Appends {@code n} zero bytes without materialising them: at most a few maximal chunks of zeros are cut and
   * sealed, the rest of the run is the zero chunk referenced {@code n / chunk} times, and the index blocks above
   * the repeated chunk are sealed once per distinct block. A 1 TiB run costs a few dozen blocks sealed.
   *
   * @throws OutpostException FILE_TOO_LARGE past the maximum file size, INVALID_ARGUMENT for {@code n < 0}
   */
  public void writeZeros(long n) {
    if (n < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "negative length " + n);
    }
    checkOpen();
    try {
      BlockFormat.checkFileSize(path, size + n);
      long direct = n <= 2L * Chunker.MAX_CHUNK_BYTES ? n : Chunker.MAX_CHUNK_BYTES;
      for (long left = direct; left > 0; ) {
        int k = (int) Math.min(left, zero.length());
        take(zero.plain(), 0, k);
        left -= k;
      }
      long rest = n - direct;
      if (rest > 0) {
        // After a maximal chunk of zeros every cut before the run is made and the window holds zeros only
        // (it holds fewer bytes than a maximal chunk): from its start on, FastCDC cuts zero chunks until fewer
        // than a maximal chunk of the run is left.
        long ahead = (end - start) + rest;
        long chunks = chunker.zeroRunChunks(ahead);
        drainSealing();
        uploader.add(zero.block());
        tree.add(zero.ref(), chunks);
        int left = (int) (ahead - chunks * zero.length());
        Arrays.fill(buf, 0, left, (byte) 0);
        bytesChunked += Math.max(0, left - (end - start));
        start = 0;
        end = left;
        size += rest;
      }
    } catch (RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  /**
   * Appends bytes {@code [from, to)} of {@code source}, a version this client opened (of this file or another of
   * the volume). Its chunks are reused by reference wherever this file's cuts meet them — at once when this
   * write is at the start of one of them, else after the chunks the new bytes change (FastCDC cuts resynchronise
   * within a chunk or two) — so only those chunks are read, sealed and uploaded; the source's last chunk is
   * always read again, because its end was cut by the end of that version.
   *
   * @throws OutpostException INVALID_ARGUMENT for a range outside the source or a version another client opened,
   *     FILE_TOO_LARGE past the maximum file size, or the failure of reading the source
   */
  public void append(OutpostFile source, long from, long to) {
    checkOpen();
    if (!source.openedBy(fetcher)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, path + ": can only append a version this client opened");
    }
    if (from < 0 || from > to || to > source.size()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, path + ": range " + from + ".." + to + " is outside "
          + source.path() + " (" + source.size() + " bytes)");
    }
    try {
      BlockFormat.checkFileSize(path, size + (to - from));
      if (from < to) {
        appendRuns(source, source.content().orElseThrow(), from, to);
      }
    } catch (RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  /** Flushing cannot commit a partial file; it does nothing. */
  @Override
  public void flush() {}

  /**
   * Cuts and seals the rest, waits for every block to reach the server and commits.
   *
   * @throws OutpostException CONFLICT as {@link CommitConflictException}, or the upload's failure
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (failed) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "write failed earlier; nothing was committed");
    }
    while (end > start) {
      cut();
    }
    drainSealing();
    Optional<FileRoot> root = tree.finish();
    uploader.finish();
    FileAttr attr = committer.commit(root);
    report = new WriteReport(path, attr, bytesChunked, uploader.bytesUploaded(), uploader.blocksTotal(),
        uploader.blocksUploaded());
  }

  /** What the write did; available after {@link #close()} returned. */
  public WriteReport report() {
    if (report == null) {
      throw new IllegalStateException("the write has not been committed");
    }
    return report;
  }

  /** Adds bytes to the window, cutting while it holds a maximal chunk ahead of its start. */
  private void take(byte[] b, int off, int len) {
    while (len > 0) {
      if (end == buf.length) {
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        start = 0;
      }
      int n = Math.min(len, buf.length - end);
      System.arraycopy(b, off, buf, end, n);
      end += n;
      off += n;
      len -= n;
      size += n;
      bytesChunked += n;
      // The chunker needs a full maximal chunk ahead (or the end of the file) to cut where a longer buffer would.
      while (end - start >= Chunker.MAX_CHUNK_BYTES) {
        cut();
      }
    }
  }

  private void appendRuns(OutpostFile source, ContentRoot root, long from, long to) {
    // A source offset x is at x + shift in this file.
    long shift = size - from;
    long reusableEnd = Math.min(to, root.sizeBytes() - lastChunkBytes(source, root));
    // Whole reusable source chunks taken as bytes since the last one that was not, at this file's offsets.
    Deque<LeafCursor.Leaf> taken = new ArrayDeque<>();
    LeafRuns runs = new LeafRuns(source.index(), root, from, to);
    for (LeafRuns.Run r = runs.next(); r != null; r = runs.next()) {
      long len = r.leaf().plainBytes();
      long i = 0;
      while (i < r.count()) {
        long at = r.fileOffset() + i * len;
        boolean reusable = at >= from && at + len <= reusableEnd;
        if (reusable && end == start && size == at + shift) {
          // This file has a cut right here and the source's chunks from here are the same bytes: the same cuts.
          long n = Math.min(r.count() - i, (reusableEnd - at) / len);
          drainSealing();
          tree.add(r.leaf(), n);
          size += n * len;
          i += n;
          continue;
        }
        long lo = Math.max(at, from);
        long hi = Math.min(at + len, to);
        take(plainOf(source, r.leaf(), at), (int) (lo - at), (int) (hi - lo));
        i++;
        if (reusable) {
          taken.add(new LeafCursor.Leaf(r.leaf(), at + shift));
        } else {
          taken.clear();
        }
        resynchronise(taken);
      }
    }
  }

  /**
   * If the window now starts where a whole reusable chunk taken as bytes starts, the window holds exactly the
   * chunks taken since, and FastCDC would cut them as the source did: they go into the tree by reference and the
   * window is emptied, so the next chunk of the source is reused without being read.
   */
  private void resynchronise(Deque<LeafCursor.Leaf> taken) {
    long windowStart = size - (end - start);
    while (!taken.isEmpty() && taken.peekFirst().fileOffset() < windowStart) {
      taken.pollFirst();
    }
    if (taken.isEmpty() || taken.peekFirst().fileOffset() != windowStart) {
      return;
    }
    drainSealing();
    for (LeafCursor.Leaf l : taken) {
      tree.add(l.ref());
    }
    taken.clear();
    start = end;
  }

  /** Bytes of the source's last chunk (its end was cut by the end of the file). */
  private static long lastChunkBytes(OutpostFile source, ContentRoot root) {
    LeafRuns.Run last = new LeafRuns(source.index(), root, root.sizeBytes() - 1, root.sizeBytes()).next();
    return last.leaf().plainBytes();
  }

  /** The plaintext of one source chunk starting at {@code at}; valid until the next call. */
  private byte[] plainOf(OutpostFile source, ChildRef leaf, long at) {
    if (zero.is(leaf)) {
      return zero.plain();
    }
    if (chunkBuffer == null) {
      chunkBuffer = new byte[Chunker.MAX_CHUNK_BYTES];
    }
    int len = (int) leaf.plainBytes();
    int n = source.read(at, chunkBuffer, 0, len);
    if (n != len) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, source.path() + ": " + n + " bytes at " + at
          + " where its index says " + len);
    }
    return chunkBuffer;
  }

  private void cut() {
    int n = chunker.nextChunkLength(buf, start, end - start);
    byte[] chunk = Arrays.copyOfRange(buf, start, start + n);
    start += n;
    if (sealing.size() >= maxSealsInFlight) {
      drainOne();
    }
    sealing.add(CompletableFuture.supplyAsync(() -> sealer.seal(chunk), workers));
  }

  private void drainSealing() {
    while (!sealing.isEmpty()) {
      drainOne();
    }
  }

  private void drainOne() {
    SealedBlock block = Futures.join(sealing.poll());
    uploader.add(block);
    tree.add(block);
  }

  private void checkOpen() {
    if (closed) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "write stream is closed");
    }
    if (failed) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "write failed earlier; nothing was committed");
    }
  }
}
