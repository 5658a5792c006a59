package dev.outpost.fuse;

import dev.outpost.client.CommitConflictException;
import dev.outpost.client.FileWrite;
import dev.outpost.client.OutpostClient;
import dev.outpost.client.OutpostFile;
import dev.outpost.client.WriteOptions;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.protocol.FileAttr;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * One open file of the mount (one FUSE file handle). Reads come from the version seen at open (blocks are
 * immutable, so a concurrent change at the origin cannot tear a read); changes are kept on top of that version as
 * {@link LocalChanges} (only the bytes written go to a local spool file), later reads merge them, and
 * {@link #commit} publishes the result as a new version against the version seen at open (close-to-open: a file
 * changed meanwhile at the origin is a conflict, never a silent overwrite). A commit costs what changed: the
 * unchanged stretches are the version's chunks by reference and holes are the volume's zero chunk.
 *
 * <p>Thread-safe: FUSE may call one handle from several threads; every method holds the handle's monitor, and
 * the file system never holds two handles' monitors at once.
 */
final class OpenFile {
  /** A copy FUSE made of an open file that was unlinked or renamed over ("silly rename"); never committed. */
  static final String HIDDEN_PREFIX = ".fuse_hidden";
  private static final int COPY_BUFFER_BYTES = 1 << 20;
  /**
   * How far ahead of the stream a read may start and still be served by it. libfuse runs requests on several
   * threads, so the kernel's read-ahead requests of one file arrive slightly out of order (1–3 % of 128 KiB
   * requests); 2 MiB covers two of the largest requests the kernel sends (1 MiB) and several in-flight ones.
   */
  static final int MAX_REORDER_BYTES = 2 << 20;

  private final long handle;
  private final OutpostClient client;
  private final Path spoolDir;
  /** The lease token a change of a path carries; throws FENCED while its lock is held under a lost lease. */
  private final ToLongFunction<String> tokens;
  private final boolean writable;
  /** Volatile: {@link #pathIs} reads it without the monitor. */
  private volatile String path;
  private long baseVersion;
  /** The newest version of the file known to exist at the origin; above baseVersion, no commit can succeed. */
  private final AtomicLong laterVersion = new AtomicLong();
  private int mode;
  /** The version being read; null = reopen the current version on the next read. */
  private OutpostFile snapshot;
  /** What this handle changed; null until its first change (and again after a commit). */
  private LocalChanges local;
  private boolean dirty;
  private long changedMillis;
  private InputStream sequential;
  private long sequentialPos = -1;
  private int streamsOpened;
  private byte[] copyBuffer;
  /** Bytes the stream passed for a request that arrived after a later one; see {@link #read}. */
  private byte[] skipped;
  private long skippedOffset;
  private int skippedLength;
  private long lastReadEnd = -1;
  /** A block of the version being read failed verification or is missing: every later read fails with it. */
  private OutpostException damaged;
  private boolean closed;

  private OpenFile(long handle, OutpostClient client, Path spoolDir, ToLongFunction<String> tokens, String path,
      boolean writable, FileAttr attr, OutpostFile snapshot) {
    this.handle = handle;
    this.client = client;
    this.spoolDir = spoolDir;
    this.tokens = tokens;
    this.path = path;
    this.writable = writable;
    this.baseVersion = attr.version();
    this.mode = attr.mode();
    this.snapshot = snapshot;
  }

  /** A handle on an existing file, reading {@code snapshot}; with {@code truncate} its content starts empty. */
  static OpenFile open(long handle, OutpostClient client, Path spoolDir, ToLongFunction<String> tokens,
      OutpostFile snapshot, boolean writable, boolean truncate) {
    OpenFile f = new OpenFile(handle, client, spoolDir, tokens, snapshot.path(), writable, snapshot.attr(), snapshot);
    if (truncate) {
      synchronized (f) {
        f.truncate(0);
      }
    }
    return f;
  }

  /** A handle on a file just created (empty, committed as {@code attr}). */
  static OpenFile created(long handle, OutpostClient client, Path spoolDir, ToLongFunction<String> tokens,
      String path, FileAttr attr) {
    OpenFile f = new OpenFile(handle, client, spoolDir, tokens, path, true, attr, null);
    synchronized (f) {
      f.ensureLocal(false);
    }
    return f;
  }

  long handle() {
    return handle;
  }

  synchronized String path() {
    return path;
  }

  /** Whether this handle is on {@code p}; never waits for the monitor (a commit may hold it for long). */
  boolean pathIs(String p) {
    return path.equals(p);
  }

  /**
   * Version {@code version} of the file exists at the origin. If it is newer than the version this handle changes,
   * its changes can never be committed: its next write, truncate or commit fails at once (CONFLICT, EIO) instead
   * of at close. Never waits for the monitor.
   */
  void laterVersionExists(long version) {
    laterVersion.accumulateAndGet(version, Math::max);
  }

  synchronized boolean isWritable() {
    return writable;
  }

  synchronized boolean isDirty() {
    return dirty;
  }

  /** The local size and change time if this handle holds changes not yet committed. */
  synchronized Optional<long[]> pendingSizeAndMtime() {
    if (!dirty || local == null) {
      return Optional.empty();
    }
    return Optional.of(new long[] {local.size(), changedMillis});
  }

  /**
   * Fills {@code dst} from {@code offset}; returns the bytes read, fewer only at the end of the file. Never
   * fewer otherwise: the kernel takes a short read for the end of the file (and shrinks its idea of the size),
   * so a block that cannot be read fails the read instead, and once a block failed verification or was missing
   * every later read of this handle fails too.
   */
  synchronized int read(ByteBuffer dst, long offset) {
    checkOpen();
    if (offset < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "negative offset " + offset);
    }
    if (local != null) {
      return readLocal(dst, offset);
    }
    if (damaged != null) {
      throw new OutpostException(damaged.code(), damaged.getMessage(), damaged);
    }
    try {
      return readRemote(dst, offset);
    } catch (OutpostException e) {
      // The stream may be anywhere after a failure: never read on from it.
      closeSequential();
      if (e.code() == ErrorCode.BLOCK_CORRUPT || e.code() == ErrorCode.MISSING_BLOCKS) {
        damaged = e;
      }
      throw e;
    }
  }

  /** From this handle's changes over the version (whose blocks it reads positionally, never short). */
  private int readLocal(ByteBuffer dst, long offset) {
    try {
      return local.read(dst, offset);
    } catch (IOException e) {
      throw localFailure(e);
    }
  }

  private int readRemote(ByteBuffer dst, long offset) {
    int start = dst.position();
    OutpostFile f = snapshot();
    if (offset >= f.size()) {
      return 0;
    }
    long wanted = Math.min(dst.remaining(), f.size() - offset);
    long ahead = sequential == null ? Long.MIN_VALUE : offset - sequentialPos;
    // ahead > 0: FUSE threads overtook each other; the kernel asked for the bytes in between first, and that
    // request runs next. They are kept for it instead of dropping the stream and its read-ahead.
    if (ahead >= 0 && ahead <= MAX_REORDER_BYTES && (ahead == 0 || keepSkipped((int) ahead))) {
      readSequential(dst, wanted);
    } else if (skipped != null && offset >= skippedOffset && offset + wanted <= skippedOffset + skippedLength) {
      dst.put(skipped, (int) (offset - skippedOffset), (int) wanted);
    } else if (offset > 0 && offset == lastReadEnd && (ahead < -MAX_REORDER_BYTES || ahead > MAX_REORDER_BYTES)) {
      // The second read in a row that continues the previous one, away from the stream (if any): switch to a
      // stream with read-ahead, so the blocks after this read are already on their way when the kernel asks.
      closeSequential();
      sequential = f.inputStream(offset);
      sequentialPos = offset;
      streamsOpened++;
      readSequential(dst, wanted);
    } else {
      f.read(offset, dst);
    }
    int n = dst.position() - start;
    if (n != wanted) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, path + ": read " + n + " of the " + wanted
          + " bytes at offset " + offset + " that its size of " + f.size() + " promises");
    }
    lastReadEnd = offset + n;
    return n;
  }

  /** Read-ahead streams this handle opened (tests check that reordered requests keep the stream). */
  synchronized int streamsOpened() {
    return streamsOpened;
  }

  /** Reads {@code wanted} bytes from the stream, fewer only if it ends (the caller checks). */
  private void readSequential(ByteBuffer dst, long wanted) {
    byte[] buf = copyBuffer((int) wanted);
    try {
      for (long left = wanted; left > 0; ) {
        int n = sequential.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          break;
        }
        dst.put(buf, 0, n);
        sequentialPos += n;
        left -= n;
      }
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, path + ": read failed: " + e.getMessage(), e);
    }
  }

  /** Moves the stream {@code gap} bytes on, keeping those bytes in {@link #skipped}; false at its end. */
  private boolean keepSkipped(int gap) {
    byte[] kept = new byte[gap];
    int n;
    try {
      n = sequential.readNBytes(kept, 0, gap);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, path + ": read failed: " + e.getMessage(), e);
    }
    skipped = kept;
    skippedOffset = sequentialPos;
    skippedLength = n;
    sequentialPos += n;
    return n == gap;
  }

  /** One buffer per handle between the stream and FUSE's native buffer (a new one per request was garbage). */
  private byte[] copyBuffer(int wanted) {
    int size = Math.min(wanted, COPY_BUFFER_BYTES);
    if (copyBuffer == null || copyBuffer.length < size) {
      copyBuffer = new byte[size];
    }
    return copyBuffer;
  }

  /** Writes all of {@code src} at {@code offset} into the local copy. */
  synchronized int write(ByteBuffer src, long offset) {
    checkOpen();
    checkWritable();
    checkNotOvertaken();
    tokens.applyAsLong(path); // a lock lost while held: fail here, not only at close
    if (offset < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "negative offset " + offset);
    }
    BlockFormat.checkFileSize(path, offset + src.remaining());
    ensureLocal(true);
    int n = src.remaining();
    try {
      local.write(src, offset);
    } catch (IOException e) {
      throw localFailure(e);
    }
    changed();
    return n;
  }

  /** Sets the size of this handle's content (zeros when it grows: nothing is written). */
  synchronized void truncate(long size) {
    checkOpen();
    checkNotOvertaken();
    tokens.applyAsLong(path);
    if (size < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "negative size " + size);
    }
    BlockFormat.checkFileSize(path, size);
    ensureLocal(size > 0);
    try {
      local.truncate(size);
    } catch (IOException e) {
      throw localFailure(e);
    }
    changed();
  }

  /**
   * Publishes this handle's content as the file's next version if it changed; the committed version becomes what
   * the handle reads and the base of its later commits.
   *
   * @return the new attributes, or empty if there was nothing to commit
   * @throws OutpostException CONFLICT if the file changed at the origin since this handle's base version
   */
  synchronized Optional<FileAttr> commit() {
    if (!dirty || closed) {
      return Optional.empty();
    }
    if (VolumePath.name(path).startsWith(HIDDEN_PREFIX)) {
      // FUSE keeps an unlinked open file under a hidden name and removes it on release: nobody can see it.
      dirty = false;
      return Optional.empty();
    }
    if (laterVersion.get() > baseVersion) {
      // Refused before its blocks are uploaded: the origin would refuse the commit.
      dirty = false;
      checkNotOvertaken();
    }
    WriteOptions options = new WriteOptions(mode & 07777, OptionalLong.of(changedMillis), OptionalLong.of(baseVersion),
        tokens.applyAsLong(path));
    FileWrite w = client.openWrite(path, options);
    try {
      local.writeTo(w);
    } catch (IOException e) {
      // The write is abandoned without close(): nothing is committed.
      throw localFailure(e);
    }
    try {
      w.close();
    } catch (CommitConflictException e) {
      // Retrying cannot succeed (the base stays stale): report it once, to this flush, and keep the local copy
      // only for this handle's later reads.
      dirty = false;
      throw e;
    }
    FileAttr attr = w.report().attr();
    baseVersion = attr.version();
    mode = attr.mode();
    dirty = false;
    // The committed version is what this handle reads now (no round trip: the reply names it).
    dropLocal();
    closeSequential();
    snapshot = client.open(path, attr);
    return Optional.of(attr);
  }

  /**
   * The file changed through this mount by another operation (chmod, utimens, truncate by path): later commits
   * build on {@code attr}'s version, and a clean handle reads the new content.
   */
  synchronized void changedElsewhere(FileAttr attr) {
    baseVersion = attr.version();
    mode = attr.mode();
    if (!dirty) {
      snapshot = null;
      closeSequential();
      dropLocal();
    }
  }

  /** {@code from} (this file or a directory above it) was renamed to {@code to}. */
  synchronized void moved(String from, String to) {
    if (VolumePath.isUnder(path, from)) {
      path = to + path.substring(from.length());
    }
  }

  /** Drops the local copy and any stream; does not commit. */
  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeSequential();
    dropLocal();
  }

  private OutpostFile snapshot() {
    if (snapshot == null) {
      snapshot = client.open(path);
      baseVersion = snapshot.attr().version();
    }
    return snapshot;
  }

  /** Starts keeping changes; with {@code keepContent} on top of the version being read, else of an empty file. */
  private void ensureLocal(boolean keepContent) {
    if (local != null) {
      return;
    }
    Optional<OutpostFile> base = keepContent ? Optional.of(snapshot()) : Optional.empty();
    try {
      local = new LocalChanges(spoolDir, "open-" + handle + "-", base, LocalChanges.DEFAULT_MAX_RANGES);
    } catch (IOException e) {
      throw localFailure(e);
    }
    closeSequential();
  }

  private void changed() {
    dirty = true;
    changedMillis = System.currentTimeMillis();
  }

  private void dropLocal() {
    try {
      if (local != null) {
        local.close();
      }
    } catch (IOException e) {
      // A spool file left behind is removed with the spool directory at unmount.
    } finally {
      local = null;
    }
  }

  private void closeSequential() {
    if (sequential != null) {
      try {
        sequential.close();
      } catch (IOException | RuntimeException e) {
        // Only read-ahead is lost.
      }
      sequential = null;
      sequentialPos = -1;
    }
    skipped = null;
    copyBuffer = null;
  }

  private void checkOpen() {
    if (closed) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "file handle " + handle + " is closed");
    }
  }

  private void checkNotOvertaken() {
    long later = laterVersion.get();
    if (later > baseVersion) {
      throw new OutpostException(ErrorCode.CONFLICT, path + " has version " + later + " at the origin, newer than"
          + " version " + baseVersion + " this handle changes: its changes cannot be committed (reopen the file)");
    }
  }

  private void checkWritable() {
    if (!writable) {
      throw new OutpostException(ErrorCode.FORBIDDEN, path + " is not open for writing");
    }
  }

  private OutpostException localFailure(IOException e) {
    return new OutpostException(ErrorCode.NO_SPACE, path + ": local spool file failed: " + e.getMessage(), e);
  }
}
