package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.BlockOpener;
import dev.outpost.protocol.GetBlocks;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Sequential plaintext of {@code [from, to)} of one file version. Keeps up to {@code windowBytes} of
 * ciphertext requested ahead of the reader, in GET_BLOCKS batches of at most {@value #MAX_BATCH_BYTES}
 * bytes, so a high-latency link stays full without a round trip per block; blocks are opened (GCM tag checked
 * under the key from their parent) on the worker pool as they arrive and handed out in file order. The volume's
 * zero chunk is neither fetched nor opened: a hole reads at memory speed (its entries still count against the
 * window, and at most {@value #MAX_PENDING_BLOCKS} blocks wait to be read, so a hole cannot queue without bound).
 *
 * <p>Never shorter than the range: a block that cannot be had or fails verification (tag, length, a missing
 * block, a tree that ends before the file's size) is an {@link OutpostException} for that read, and the stream
 * stays failed — every later read throws the same error — because its blocks are handed out in order and going
 * on would hand out the next block's bytes at this block's offset, or an end of file where the file goes on.
 * Open a new stream to try again.
 *
 * <p>Not thread-safe (an InputStream). Failures surface as {@link OutpostException}, never as a short read.
 */
final class ReadStream extends InputStream {
  static final int MAX_BATCH_BYTES = 1 << 20;
  static final int MAX_BATCH_IDS = 64;
  static final int MAX_PENDING_BLOCKS = 4096;

  private record Pending(LeafCursor.Leaf leaf, CompletableFuture<byte[]> plain) {}

  private final String path;
  private final BlockFetcher fetcher;
  private final ZeroChunk zero;
  private final LeafCursor leaves;
  private final long windowBytes;
  private final long to;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private long inFlightBytes;
  private LeafCursor.Leaf lookahead;
  private boolean leavesDone;
  /** Why the index walk stopped early, thrown once the blocks before it are read. */
  private OutpostException leavesFailure;

  private byte[] current;
  private int currentPos;
  private int currentEnd;
  private long position;
  private boolean closed;
  /** The first failure; every read after it throws it again. */
  private OutpostException failure;

  /**
   * @param path the file, for error messages
   * @throws OutpostException if the first index blocks of the range cannot be read
   */
  ReadStream(String path, BlockFetcher fetcher, IndexCache index, ZeroChunk zero, ContentRoot root, long from,
      long to, long windowBytes) {
    this.path = path;
    this.fetcher = fetcher;
    this.zero = zero;
    this.to = Math.min(to, root.sizeBytes());
    this.position = from;
    this.windowBytes = Math.max(windowBytes, BlockFormat.MAX_CIPHER_BYTES);
    try {
      // Index blocks ahead for twice the window: it is counted in ciphertext, which compression makes smaller.
      this.leaves = new LeafCursor(index, root, from, this.to, 2 * this.windowBytes);
    } catch (OutpostException e) {
      throw located(e);
    }
  }

  private ReadStream() {
    this.path = "";
    this.fetcher = null;
    this.zero = null;
    this.to = 0;
    this.position = 0;
    this.windowBytes = 0;
    this.leaves = null;
    this.leavesDone = true;
  }

  /** The content of an empty file. */
  static ReadStream empty() {
    return new ReadStream();
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (!ensureCurrent()) {
      return -1;
    }
    int n = Math.min(len, currentEnd - currentPos);
    System.arraycopy(current, currentPos, b, off, n);
    currentPos += n;
    position += n;
    return n;
  }

  /** Reads into {@code dst} until it is full or the range ends; returns the bytes read (0 at the end). */
  int read(ByteBuffer dst) {
    int total = 0;
    while (dst.hasRemaining() && ensureCurrent()) {
      int n = Math.min(dst.remaining(), currentEnd - currentPos);
      dst.put(current, currentPos, n);
      currentPos += n;
      position += n;
      total += n;
    }
    return total;
  }

  @Override
  public long skip(long n) {
    long skipped = 0;
    while (skipped < n && ensureCurrent()) {
      int k = (int) Math.min(n - skipped, currentEnd - currentPos);
      currentPos += k;
      position += k;
      skipped += k;
    }
    return skipped;
  }

  @Override
  public int available() {
    return current == null ? 0 : currentEnd - currentPos;
  }

  @Override
  public void close() {
    closed = true;
    pending.clear();
    current = null;
  }

  /** Makes {@link #current} hold unread bytes; false only at the end of the range. */
  private boolean ensureCurrent() {
    if (closed) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "stream is closed");
    }
    if (failure != null) {
      throw new OutpostException(failure.code(), failure.getMessage(), failure);
    }
    try {
      return advance();
    } catch (RuntimeException e) {
      failure = e instanceof OutpostException oe ? located(oe)
          : new OutpostException(ErrorCode.INTERNAL, path + ": read failed at offset " + position + ": " + e, e);
      current = null;
      pending.clear();
      throw failure;
    }
  }

  private boolean advance() {
    while (current == null || currentPos == currentEnd) {
      if (position >= to) {
        return false;
      }
      fill();
      Pending next = pending.poll();
      if (next == null) {
        if (leavesFailure != null) {
          throw leavesFailure;
        }
        // The attributes promise bytes the tree does not hold: an error, never an early end of file.
        throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "the blocks end at offset " + position + " of "
            + to);
      }
      inFlightBytes -= next.leaf().ref().cipherLength();
      byte[] plain = Futures.join(next.plain());
      LeafCursor.Leaf leaf = next.leaf();
      if (leaf.fileOffset() > position || leaf.end() < position) {
        throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "the block at offsets " + leaf.fileOffset() + ".."
            + leaf.end() + " does not continue the file at offset " + position);
      }
      // The first and last block of the range may be partial.
      current = plain;
      currentPos = (int) (position - leaf.fileOffset());
      currentEnd = (int) (Math.min(to, leaf.end()) - leaf.fileOffset());
      fill();
    }
    return true;
  }

  /** {@code e} with the path and offset where the read failed, keeping its code. */
  private OutpostException located(OutpostException e) {
    return new OutpostException(e.code(), path + ": cannot read at offset " + position + ": " + e.getMessage(), e);
  }

  /** Requests more blocks while the window has room, in batches; zero chunks are ready at once. */
  private void fill() {
    while (inFlightBytes < windowBytes && pending.size() < MAX_PENDING_BLOCKS && !leavesDone) {
      LeafCursor.Leaf first = peekLeaf();
      if (first == null) {
        return;
      }
      if (zero.is(first.ref())) {
        lookahead = null;
        pending.add(new Pending(first, zero.opened()));
        inFlightBytes += first.ref().cipherLength();
        continue;
      }
      List<LeafCursor.Leaf> batch = new ArrayList<>();
      long batchBytes = 0;
      while (batch.size() < MAX_BATCH_IDS && batch.size() < GetBlocks.MAX_IDS
          && pending.size() + batch.size() < MAX_PENDING_BLOCKS) {
        LeafCursor.Leaf leaf = peekLeaf();
        if (leaf == null || zero.is(leaf.ref())) {
          break;
        }
        int len = leaf.ref().cipherLength();
        if (!batch.isEmpty() && (batchBytes + len > MAX_BATCH_BYTES || inFlightBytes + batchBytes + len > windowBytes)) {
          break;
        }
        lookahead = null;
        batch.add(leaf);
        batchBytes += len;
      }
      List<BlockFetcher.Want<byte[]>> wants = new ArrayList<>(batch.size());
      for (LeafCursor.Leaf leaf : batch) {
        byte[] key = leaf.ref().key();
        int plainLength = (int) leaf.ref().plainBytes();
        wants.add(new BlockFetcher.Want<>(leaf.ref().id(), leaf.ref().cipherLength(), cipher -> {
          byte[] out = new byte[plainLength];
          BlockOpener.openInto(key, cipher, ByteBuffer.wrap(out), plainLength);
          return out;
        }));
      }
      List<CompletableFuture<byte[]>> results = fetcher.fetch(wants);
      for (int i = 0; i < batch.size(); i++) {
        pending.add(new Pending(batch.get(i), results.get(i)));
      }
      inFlightBytes += batchBytes;
    }
  }

  private LeafCursor.Leaf peekLeaf() {
    if (lookahead == null && !leavesDone) {
      try {
        lookahead = leaves.next();
      } catch (OutpostException e) {
        // An index block further on is bad: the blocks before it are still good, so the reader meets the
        // error where the bad block's bytes would start, not while reading ahead.
        leavesFailure = e;
      }
      if (lookahead == null) {
        leavesDone = true;
      }
    }
    return lookahead;
  }
}
