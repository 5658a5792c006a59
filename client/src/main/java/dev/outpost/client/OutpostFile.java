package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.FileAttr;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One version of a file, opened for reading: the attributes seen at open and the unwrapped root key. Reads
 * return that version's bytes even if the file changes meanwhile (blocks are immutable); open again to see a
 * newer version (close-to-open). Thread-safe; each stream it returns is not.
 */
public final class OutpostFile {
  private final String path;
  private final FileAttr attr;
  private final Optional<Instant> staleSince;
  private final Optional<ContentRoot> root;
  private final BlockFetcher fetcher;
  private final IndexCache index;
  private final ZeroChunk zero;
  private final long readAheadBytes;

  OutpostFile(String path, FileAttr attr, Optional<Instant> staleSince, Optional<ContentRoot> root,
      BlockFetcher fetcher, IndexCache index, ZeroChunk zero, long readAheadBytes) {
    this.path = path;
    this.attr = attr;
    this.staleSince = staleSince;
    this.root = root;
    this.fetcher = fetcher;
    this.index = index;
    this.zero = zero;
    this.readAheadBytes = readAheadBytes;
  }

  public String path() {
    return path;
  }

  /** The attributes at open. */
  public FileAttr attr() {
    return attr;
  }

  /**
   * Empty when the attributes at open were current; otherwise the time since which the branch proxy that
   * answered has not heard from the origin (it is cut off and served the version it cached, which may have
   * been replaced at headquarters since).
   */
  public Optional<Instant> staleSince() {
    return staleSince;
  }

  /** The unwrapped root; empty for an empty file. */
  Optional<ContentRoot> content() {
    return root;
  }

  public long size() {
    return attr.size();
  }

  /** The opened index blocks of the client that opened this version. */
  IndexCache index() {
    return index;
  }

  /** Whether the client that fetches with {@code f} opened this version (its keys are that client's volume's). */
  boolean openedBy(BlockFetcher f) {
    return fetcher == f;
  }

  /**
   * The whole file as a stream with read-ahead. It never ends before the file's size: a block that is missing or
   * fails verification is an {@link OutpostException} (BLOCK_CORRUPT, MISSING_BLOCKS, ...) thrown by the read
   * that reaches it and by every later read of the stream.
   */
  public InputStream inputStream() {
    return inputStream(0);
  }

  /** The file from {@code offset} on, as a stream with read-ahead. */
  public InputStream inputStream(long offset) {
    return range(offset, Long.MAX_VALUE, readAheadBytes);
  }

  /**
   * Reads up to {@code len} bytes at {@code position}, fetching only the blocks that overlap (in parallel).
   *
   * @return bytes read, less than {@code len} only at the end of the file; -1 if {@code position} is at or past
   *     the end
   * @throws OutpostException BLOCK_CORRUPT, MISSING_BLOCKS... if a block of the range cannot be read: the read
   *     fails whole, never returns fewer bytes
   */
  public int read(long position, byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    return read(position, ByteBuffer.wrap(b, off, len));
  }

  /** As {@link #read(long, byte[], int, int)} into {@code dst}'s remaining bytes; advances its position. */
  public int read(long position, ByteBuffer dst) {
    if (position < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "negative read position " + position);
    }
    if (position >= attr.size()) {
      return dst.hasRemaining() ? -1 : 0;
    }
    if (!dst.hasRemaining()) {
      return 0;
    }
    long end = position + Math.min(dst.remaining(), attr.size() - position);
    // The window only needs to cover this range: a small read asks for exactly its blocks.
    try (ReadStream s = range(position, end, Math.max(readAheadBytes, Math.min(end - position, 64L << 20)))) {
      return s.read(dst);
    }
  }

  private ReadStream range(long from, long to, long window) {
    if (from < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "negative offset " + from);
    }
    ContentRoot r = root.orElse(null);
    if (r == null) {
      return ReadStream.empty();
    }
    return new ReadStream(path, fetcher, index, zero, r, from, to, window);
  }
}
