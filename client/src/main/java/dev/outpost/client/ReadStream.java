package dev.outpost.client;

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
 * under the key from their parent) on the worker pool as they arrive and handed out in file order.
 *
 * <p>Not thread-safe (an InputStream). Failures surface as {@link dev.outpost.core.OutpostException}.
 */
final class ReadStream extends InputStream {
  static final int MAX_BATCH_BYTES = 1 << 20;
  static final int MAX_BATCH_IDS = 64;

  private record Pending(LeafCursor.Leaf leaf, CompletableFuture<byte[]> plain) {}

  private final BlockFetcher fetcher;
  private final LeafCursor leaves;
  private final long windowBytes;
  private final long to;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private long inFlightBytes;
  private LeafCursor.Leaf lookahead;
  private boolean leavesDone;

  private byte[] current;
  private int currentPos;
  private int currentEnd;
  private long position;
  private boolean closed;

  ReadStream(BlockFetcher fetcher, IndexCache index, ContentRoot root, long from, long to, long windowBytes) {
    this.fetcher = fetcher;
    this.to = Math.min(to, root.sizeBytes());
    this.position = from;
    this.windowBytes = Math.max(windowBytes, BlockFormat.MAX_CIPHER_BYTES);
    // Index blocks ahead for twice the window: it is counted in ciphertext, which compression makes smaller.
    this.leaves = new LeafCursor(index, root, from, this.to, 2 * this.windowBytes);
  }

  private ReadStream() {
    this.fetcher = null;
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

  private boolean ensureCurrent() {
    if (closed) {
      throw new dev.outpost.core.OutpostException(dev.outpost.core.ErrorCode.INVALID_ARGUMENT, "stream is closed");
    }
    while (current == null || currentPos == currentEnd) {
      if (position >= to) {
        return false;
      }
      fill();
      Pending next = pending.poll();
      if (next == null) {
        return false;
      }
      inFlightBytes -= next.leaf().ref().cipherLength();
      byte[] plain = Futures.join(next.plain());
      fill();
      LeafCursor.Leaf leaf = next.leaf();
      // The first and last block of the range may be partial.
      current = plain;
      currentPos = (int) Math.max(0, position - leaf.fileOffset());
      currentEnd = (int) (Math.min(to, leaf.end()) - leaf.fileOffset());
    }
    return true;
  }

  /** Requests more blocks while the window has room, in batches. */
  private void fill() {
    while (inFlightBytes < windowBytes && !leavesDone) {
      List<LeafCursor.Leaf> batch = new ArrayList<>();
      long batchBytes = 0;
      while (batch.size() < MAX_BATCH_IDS && batch.size() < GetBlocks.MAX_IDS) {
        LeafCursor.Leaf leaf = peekLeaf();
        if (leaf == null) {
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
      if (batch.isEmpty()) {
        return;
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
      lookahead = leaves.next();
      if (lookahead == null) {
        leavesDone = true;
      }
    }
    return lookahead;
  }
}
