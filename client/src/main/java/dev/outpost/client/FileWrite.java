package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.BlockSealer;
import dev.outpost.crypto.Chunker;
import dev.outpost.crypto.FileRoot;
import dev.outpost.crypto.FileTreeBuilder;
import dev.outpost.crypto.SealedBlock;
import dev.outpost.protocol.FileAttr;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One file version being written: bytes are cut into chunks as they arrive (a window of 2 × the largest
 * chunk, never the whole file), sealed in parallel on the worker pool, fed in order to the index tree builder
 * and to the {@link Uploader}; {@link #close()} uploads the rest, then commits through {@code committer}.
 *
 * <p>Not thread-safe (an OutputStream). After a failure the stream is unusable and nothing is committed; a
 * write that would take the file past {@link BlockFormat#MAX_FILE_BYTES} is such a failure
 * (FILE_TOO_LARGE), before any of its bytes are taken.
 */
public final class FileWrite extends OutputStream {
  private final Chunker chunker;
  private final BlockSealer sealer;
  private final Executor workers;
  private final int maxSealsInFlight;
  private final Uploader uploader;
  private final FileTreeBuilder tree;
  private final String path;
  private final Committer committer;
  private final byte[] buf = new byte[2 * Chunker.MAX_CHUNK_BYTES];
  private final ArrayDeque<CompletableFuture<SealedBlock>> sealing = new ArrayDeque<>();
  private int start;
  private int end;
  private long bytesRead;
  private boolean closed;
  private boolean failed;
  private WriteReport report;

  /** Publishes the new version once its blocks are at the server (empty root: an empty file). */
  interface Committer {
    FileAttr commit(Optional<FileRoot> root);
  }

  FileWrite(String path, Chunker chunker, BlockSealer sealer, Executor workers, int maxSealsInFlight,
      Uploader uploader, Committer committer) {
    this.path = path;
    this.chunker = chunker;
    this.sealer = sealer;
    this.workers = workers;
    this.maxSealsInFlight = maxSealsInFlight;
    this.uploader = uploader;
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
      BlockFormat.checkFileSize(path, bytesRead + len);
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
        bytesRead += n;
        // The chunker needs a full maximal chunk ahead (or the end of the file) to cut where a longer buffer would.
        while (end - start >= Chunker.MAX_CHUNK_BYTES) {
          cut();
        }
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
    while (!sealing.isEmpty()) {
      drainOne();
    }
    Optional<FileRoot> root = tree.finish();
    uploader.finish();
    FileAttr attr = committer.commit(root);
    report = new WriteReport(path, attr, bytesRead, uploader.bytesUploaded(), uploader.blocksTotal(),
        uploader.blocksUploaded());
  }

  /** What the write did; available after {@link #close()} returned. */
  public WriteReport report() {
    if (report == null) {
      throw new IllegalStateException("the write has not been committed");
    }
    return report;
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
