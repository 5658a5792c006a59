package dev.outpost.fuse;

import dev.outpost.client.ChangeListener;
import dev.outpost.client.CommitConflictException;
import dev.outpost.client.OutpostClient;
import dev.outpost.client.OutpostFile;
import dev.outpost.client.WriteOptions;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Utf8;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.LeaseMode;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FUSE operations of a mounted volume, on top of {@link OutpostClient}: paths in, errno out. Every callback
 * runs inside {@link #guard}, because an exception escaping a native upcall would end the JVM, and passes the
 * mount's {@link UpcallGate}: once the mount is stopping, a new callback is answered EIO at once.
 *
 * <p>Names: jfuse hands over the kernel's name bytes decoded as UTF-8 with replacement
 * ({@code MemorySegment.getString}), so bytes that are not UTF-8 arrive as U+FFFD and two different names would
 * be one file. Every path (and rename's second path, symlink's target) that may have been decoded lossily is
 * refused with EILSEQ before anything else; names going out (readdir, readlink) are valid UTF-8 by construction.
 *
 * <p>Locks: flock(2) and fcntl(2) locks are leases at the origin ({@link MountLocks}); changes of a file whose lease
 * this mount holds carry its token, so a holder whose lease was taken over is refused FENCED (EIO, logged).
 *
 * <p>Thread-safe: libfuse calls from several threads at once.
 */
final class OutpostFileSystem implements FuseOperations, ChangeListener, LockOperations.Handler {
  private static final Logger log = LoggerFactory.getLogger(OutpostFileSystem.class);
  private static final int O_ACCMODE = 03;
  private static final int O_RDONLY = 0;
  private static final int O_TRUNC = 01000;
  private static final int RENAME_NOREPLACE = 1;
  // Linux's errno values that jfuse's Errno lacks.
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;
  private static final int ENOLCK = 37;
  private static final int DIR_SIZE_BYTES = 4096;
  private static final long STATFS_BLOCK_BYTES = 4096;
  /** The origin reports no capacity; a large fixed figure keeps tools that check free space going. */
  private static final long STATFS_BLOCKS = 1L << 32;

  private final OutpostClient client;
  private final MountOptions options;
  private final ErrnoMapper errors;
  private final FuseSession session;
  private final UpcallGate gate;
  private final AttrCache attrs;
  private final Path spoolDir;
  private final int uid;
  private final int gid;
  /** 0 if this mount may change the volume, else the negative errno every change gets at once. */
  private final int refusal;
  private final ConcurrentHashMap<Long, OpenFile> handles = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);
  private final MountLocks locks;
  /** Whether the request of the calling FUSE thread was interrupted (a waiting lock polls it). */
  private final BooleanSupplier interrupted;

  OutpostFileSystem(OutpostClient client, MountOptions options, Errno errno, FuseSession session, UpcallGate gate,
      Path spoolDir, int uid, int gid, BooleanSupplier interrupted) {
    this.client = client;
    this.options = options;
    this.errors = new ErrnoMapper(errno);
    this.session = session;
    this.gate = gate;
    // While the change stream is live it drops changed entries at once; the lifetime only bounds the damage of
    // an event that never arrives.
    this.attrs = new AttrCache(60_000_000_000L);
    this.spoolDir = spoolDir;
    this.uid = uid;
    this.gid = gid;
    this.refusal = refusal(options, client, errors);
    this.interrupted = interrupted;
    boolean localLocks = refusal != 0;
    if (localLocks) {
      log.info("locks on this mount exclude its own processes only (a read-only mount or token holds no lease)");
    }
    this.locks = new MountLocks(client, options.lockTtl(), options.lockWait(), localLocks,
        path -> commitOpen(path, false));
  }

  /**
   * Why changes are refused before any is tried: a read-only mount (EROFS, as the kernel says too), or a token
   * that grants reading only (EACCES, what the server would answer — but at the call, not at close).
   */
  private static int refusal(MountOptions options, OutpostClient client, ErrnoMapper errors) {
    if (options.readOnly()) {
      return errors.erofs();
    }
    if (client.tokenIsReadOnly()) {
      log.info("the token grants reading only: every change through the mount is refused with EACCES");
      return errors.eacces();
    }
    return 0;
  }

  @Override
  public Errno errno() {
    return errors.errno();
  }

  @Override
  public Set<Operation> supportedOperations() {
    return EnumSet.of(Operation.INIT, Operation.GET_ATTR, Operation.READLINK, Operation.MKDIR, Operation.UNLINK,
        Operation.RMDIR, Operation.SYMLINK, Operation.RENAME, Operation.CHMOD, Operation.CHOWN, Operation.TRUNCATE,
        Operation.OPEN, Operation.READ, Operation.WRITE, Operation.STATFS, Operation.FLUSH, Operation.RELEASE,
        Operation.FSYNC, Operation.READ_DIR, Operation.CREATE, Operation.UTIMENS);
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void init(FuseConnInfo conn, FuseConfig config) {
    guard("init", "/", () -> {
      session.capture();
      int wanted = FuseConnInfo.FUSE_CAP_POSIX_LOCKS | FuseConnInfo.FUSE_CAP_FLOCK_LOCKS;
      if ((conn.capable() & wanted) != wanted || (conn.want() & wanted) != wanted) {
        log.warn("the kernel keeps flock/fcntl locks local to this machine (capable 0x{}, wanted 0x{}): they do not "
            + "exclude other mounts", Integer.toHexString(conn.capable()), Integer.toHexString(conn.want()));
      }
      return 0;
    });
  }

  /**
   * At stop, once no callback runs: commits what each open file holds that the origin has not seen (the kernel
   * did not flush it, or a process still has it open), one after another while {@code deadlineNanos} is ahead —
   * the mount cancels a commit still waiting for the server then. Every handle is closed afterwards, committed or
   * not; what is lost is logged with its size.
   *
   * @param late why a handle left once the deadline passed is not committed
   */
  void commitOpenFiles(long deadlineNanos, String late) {
    for (OpenFile f : List.copyOf(handles.values())) {
      try {
        Optional<long[]> pending = f.pendingSizeAndMtime();
        if (pending.isEmpty()) {
          continue;
        }
        if (System.nanoTime() - deadlineNanos >= 0) {
          lost(f, pending.get()[0], late);
          continue;
        }
        try {
          f.commit().ifPresent(a -> log.info("{}: committed at stop ({} bytes)", f.path(), a.size()));
        } catch (OutpostException e) {
          lost(f, pending.get()[0], e.getMessage());
        }
      } finally {
        f.close();
        handles.remove(f.handle());
      }
    }
  }

  /** At stop, after the open files are committed: gives back every lease the mount's locks kept. */
  void releaseLocks(long deadlineNanos) {
    locks.close(deadlineNanos);
  }

  /** Open handles (a stop that could not wait for its callbacks leaves them as they are). */
  int openFiles() {
    return handles.size();
  }

  private static void lost(OpenFile f, long bytes, String why) {
    log.warn("{}: {} bytes written through the mount were not committed at stop and are lost: {}", f.path(), bytes,
        why);
  }

  // ---------------------------------------------------------------- change stream

  @Override
  public void onStart(long currentSeq) {
    attrs.setEnabled(true);
  }

  @Override
  public void onChange(ChangeEvent e) {
    switch (e.kind()) {
      case MODIFIED, ATTRS -> {
        if (e.kind() == ChangeKind.MODIFIED) {
          newVersion(e.path(), e.version(), null);
        }
        attrs.invalidate(e.path());
        session.invalidate(e.path());
      }
      case CREATED -> {
        attrs.invalidate(e.path());
        attrs.invalidate(VolumePath.parent(e.path()));
        session.invalidate(VolumePath.parent(e.path()));
      }
      case REMOVED -> {
        attrs.invalidateTree(e.path());
        attrs.invalidate(VolumePath.parent(e.path()));
        session.invalidate(e.path());
        session.invalidate(VolumePath.parent(e.path()));
      }
      case RENAMED -> {
        attrs.invalidateTree(e.fromPath());
        attrs.invalidateTree(e.path());
        attrs.invalidate(VolumePath.parent(e.fromPath()));
        attrs.invalidate(VolumePath.parent(e.path()));
        session.invalidate(e.fromPath());
        session.invalidate(e.path());
        session.invalidate(VolumePath.parent(e.fromPath()));
        session.invalidate(VolumePath.parent(e.path()));
      }
    }
  }

  @Override
  public void onResync(long currentSeq) {
    log.info("change stream resynchronised at {}: dropping every cached attribute", currentSeq);
    attrs.clear();
    session.invalidate(VolumePath.ROOT);
    attrs.setEnabled(true); // live again (after a reconnection, no onStart precedes this)
  }

  @Override
  public void onSuspended(OutpostException cause) {
    // Changes made while the connection is down reach us only once the watch has resubscribed: until then
    // (onStart, replayed events, or onResync) nothing cached can be trusted.
    log.warn("change stream interrupted ({}); attributes are not cached until it resumes", cause.toString());
    attrs.setEnabled(false);
  }

  @Override
  public void onError(OutpostException error) {
    if (gate.isShut()) {
      // The mount is stopping (its cancel of waiting calls ends the stream too): nothing to warn about.
      log.debug("change stream ended while stopping: {}", error.toString());
      attrs.setEnabled(false);
      return;
    }
    // Without the stream nothing would drop a stale entry: ask the origin every time from now on (the kernel
    // still caches for the mount's kernel cache timeout).
    log.warn("change stream ended ({}); attributes are no longer cached by the mount", error.toString());
    attrs.setEnabled(false);
  }

  // ---------------------------------------------------------------- metadata

  @Override
  public int getattr(String path, Stat stat, FileInfo fi) {
    return guard("getattr", path, () -> {
      FileAttr a = attr(path);
      fill(stat, path, a);
      return 0;
    });
  }

  @Override
  public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
    return guard("readdir", path, () -> {
      long generation = attrs.generation();
      List<DirEntry> entries = client.list(path);
      boolean plus = (flags & FuseOperations.FUSE_READDIR_PLUS) != 0;
      filler.fill(".", st -> {}, 0, 0);
      filler.fill("..", st -> {}, 0, 0);
      for (DirEntry e : entries) {
        String child = VolumePath.join(path, e.name());
        attrs.put(child, e.attr(), generation);
        if (filler.fill(e.name(), st -> fill(st, child, e.attr()), 0, plus ? DirFiller.FUSE_FILL_DIR_PLUS : 0) != 0) {
          break;
        }
      }
      return 0;
    });
  }

  @Override
  public int readlink(String path, ByteBuffer buf, long len) {
    return guard("readlink", path, () -> {
      FileAttr a = attr(path);
      if (a.type() != FileType.SYMLINK) {
        return errors.einval();
      }
      byte[] target = Utf8.encode(a.linkTarget());
      // readlink(2) wants the target NUL-terminated, truncated to the buffer.
      int n = (int) Math.min(target.length, Math.max(0, Math.min(len, buf.remaining()) - 1));
      buf.put(target, 0, n);
      buf.put((byte) 0);
      return 0;
    });
  }

  @Override
  public int statfs(String path, Statvfs stat) {
    return guard("statfs", path, () -> {
      stat.setBsize(STATFS_BLOCK_BYTES);
      stat.setFrsize(STATFS_BLOCK_BYTES);
      stat.setBlocks(STATFS_BLOCKS);
      stat.setBfree(STATFS_BLOCKS);
      stat.setBavail(STATFS_BLOCKS);
      stat.setNameMax(VolumePath.MAX_NAME_BYTES);
      return 0;
    });
  }

  @Override
  public int mkdir(String path, int mode) {
    return guardWrite("mkdir", path, () -> {
      long token = locks.tokenFor(path);
      FileAttr a = client.mkdir(path, false, token);
      int perm = mode & 07777;
      if (a.mode() != perm) {
        a = client.chmod(path, perm, token);
      }
      attrs.invalidate(VolumePath.parent(path));
      attrs.put(path, a, attrs.generation());
      return 0;
    });
  }

  @Override
  public int unlink(String path) {
    return guardWrite("unlink", path, () -> {
      FileAttr a = attr(path);
      if (a.type() == FileType.DIRECTORY) {
        return errors.eisdir();
      }
      try {
        client.rm(path, false, locks.tokenFor(path));
      } finally {
        attrs.invalidate(path);
        attrs.invalidate(VolumePath.parent(path));
      }
      return 0;
    });
  }

  @Override
  public int rmdir(String path) {
    return guardWrite("rmdir", path, () -> {
      FileAttr a = attr(path);
      if (a.type() != FileType.DIRECTORY) {
        return errors.enotdir();
      }
      try {
        client.rm(path, false, locks.tokenFor(path));
      } finally {
        attrs.invalidateTree(path);
        attrs.invalidate(VolumePath.parent(path));
      }
      return 0;
    });
  }

  /** FUSE passes the link's content first and the new link's path second, as symlink(2) does. */
  @Override
  public int symlink(String target, String linkPath) {
    return guardWrite("symlink", linkPath, () -> {
      if (Utf8.mayBeLossy(target)) {
        return errors.eilseq();
      }
      FileAttr a = client.symlink(linkPath, target, locks.tokenFor(linkPath));
      attrs.invalidate(VolumePath.parent(linkPath));
      attrs.put(linkPath, a, attrs.generation());
      return 0;
    });
  }

  @Override
  public int rename(String from, String to, int flags) {
    return guardWrite("rename", from, () -> {
      if (Utf8.mayBeLossy(to)) {
        return errors.eilseq();
      }
      if ((flags & ~RENAME_NOREPLACE) != 0) {
        // RENAME_EXCHANGE and RENAME_WHITEOUT have no counterpart at the origin.
        return errors.einval();
      }
      if ((flags & RENAME_NOREPLACE) != 0 && client.statIfExists(to).isPresent()) {
        return errors.eexist();
      }
      // What is written under the old name must reach the origin before the name moves.
      commitOpen(from, true);
      // A token must cover both names, and a lock covers one file: the rename goes without one, but a holder
      // whose lock on either was lost is refused.
      locks.tokenFor(from);
      locks.tokenFor(to);
      try {
        client.mv(from, to);
      } finally {
        attrs.invalidateTree(from);
        attrs.invalidateTree(to);
        attrs.invalidate(VolumePath.parent(from));
        attrs.invalidate(VolumePath.parent(to));
      }
      for (OpenFile f : handles.values()) {
        f.moved(from, to);
      }
      return 0;
    });
  }

  @Override
  public int chmod(String path, int mode, FileInfo fi) {
    return guardWrite("chmod", path, () -> {
      commitOpen(path, false);
      FileAttr a = client.chmod(path, mode & 07777, locks.tokenFor(path));
      changedHere(path, a);
      return 0;
    });
  }

  /** Ownership is the mounting user's; changing it to anyone else is refused as chown(2) refuses it. */
  @Override
  public int chown(String path, int newUid, int newGid, FileInfo fi) {
    return guardWrite("chown", path, () -> {
      attr(path);
      boolean uidOk = newUid == -1 || newUid == uid;
      boolean gidOk = newGid == -1 || newGid == gid;
      return uidOk && gidOk ? 0 : errors.eperm();
    });
  }

  @Override
  public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
    return guardWrite("utimens", path, () -> {
      if (mtime.isUtimeOmit()) {
        // Access times are not kept.
        attr(path);
        return 0;
      }
      long millis = mtime.isUtimeNow() ? System.currentTimeMillis() : mtime.get().toEpochMilli();
      commitOpen(path, false);
      FileAttr a = client.utimes(path, millis, locks.tokenFor(path));
      changedHere(path, a);
      return 0;
    });
  }

  @Override
  public int truncate(String path, long size, FileInfo fi) {
    return guardWrite("truncate", path, () -> {
      OpenFile target = fi == null ? null : handles.get(fi.getFh());
      if (target == null) {
        target = handles.values().stream().filter(f -> f.isWritable() && f.isDirty() && f.path().equals(path))
            .findFirst().orElse(null);
      }
      if (target != null) {
        target.truncate(size);
        return 0;
      }
      commitOpen(path, false);
      client.truncate(path, size, WriteOptions.DEFAULTS.withLeaseToken(locks.tokenFor(path)));
      changedHere(path, client.stat(path));
      return 0;
    });
  }

  // ---------------------------------------------------------------- files

  @Override
  public int create(String path, int mode, FileInfo fi) {
    return guardWrite("create", path, () -> {
      FileAttr a;
      try {
        a = client.write(path, new byte[0], new WriteOptions(mode & 07777, OptionalLong.empty(), OptionalLong.of(0),
            locks.tokenFor(path))).attr();
      } catch (CommitConflictException e) {
        return errors.eexist();
      }
      attrs.invalidate(VolumePath.parent(path));
      attrs.put(path, a, attrs.generation());
      long h = nextHandle.getAndIncrement();
      handles.put(h, OpenFile.created(h, client, spoolDir, locks::tokenFor, path, a));
      fi.setFh(h);
      return 0;
    });
  }

  @Override
  public int open(String path, FileInfo fi) {
    return guard("open", path, () -> {
      int flags = fi.getFlags();
      boolean writable = (flags & O_ACCMODE) != O_RDONLY;
      // libfuse3 asks for atomic_o_trunc: O_TRUNC arrives here, not as a SETATTR, whatever the access mode.
      boolean truncate = (flags & O_TRUNC) != 0;
      if ((writable || truncate) && refusal != 0) {
        return refusal;
      }
      // Close-to-open: what this mount wrote under the name is committed, then the current version is read.
      commitOpen(path, false);
      long generation = attrs.generation();
      OutpostFile file = client.open(path);
      attrs.put(path, file.attr(), generation);
      long h = nextHandle.getAndIncrement();
      handles.put(h, OpenFile.open(h, client, spoolDir, locks::tokenFor, file, writable, truncate));
      fi.setFh(h);
      return 0;
    });
  }

  @Override
  public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
    return guard("read", path, () -> {
      OpenFile f = handles.get(fi.getFh());
      if (f == null) {
        return errors.ebadf();
      }
      if (size < buf.remaining()) {
        buf.limit(buf.position() + (int) size);
      }
      return f.read(buf, offset);
    });
  }

  @Override
  public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
    return guardWrite("write", path, () -> {
      OpenFile f = handles.get(fi.getFh());
      if (f == null) {
        return errors.ebadf();
      }
      if (size < buf.remaining()) {
        buf.limit(buf.position() + (int) size);
      }
      return f.write(buf, offset);
    });
  }

  @Override
  public int flush(String path, FileInfo fi) {
    return guard("flush", path, () -> {
      try {
        return commit(fi);
      } finally {
        // A close drops the process's fcntl locks on the file (POSIX), after its writes are committed.
        if (fi.getLockOwner() != 0) {
          locks.unlock(path, new MountLocks.Owner(false, fi.getLockOwner()));
        }
      }
    });
  }

  @Override
  public int fsync(String path, int datasync, FileInfo fi) {
    return guard("fsync", path, () -> commit(fi));
  }

  @Override
  public int release(String path, FileInfo fi) {
    return guard("release", path, () -> {
      OpenFile f = handles.get(fi.getFh());
      if (f == null) {
        if (fi.getLockOwner() != 0) {
          locks.unlock(path, new MountLocks.Owner(true, fi.getLockOwner()));
        }
        return 0;
      }
      try {
        return commit(fi);
      } finally {
        f.close();
        handles.remove(f.handle());
        // The last close of an open file description drops its flock (the kernel names it as the owner).
        if (fi.getLockOwner() != 0) {
          locks.unlock(path, new MountLocks.Owner(true, fi.getLockOwner()));
        }
      }
    });
  }

  // ---------------------------------------------------------------- locks

  @Override
  public int flock(String path, long fh, long owner, int op) {
    return guard("flock", path, () -> {
      log.debug("flock {} owner {} op {}", path, Long.toHexString(owner), op);
      MountLocks.Owner o = new MountLocks.Owner(true, owner);
      int kind = op & ~LockOperations.LOCK_NB;
      if (kind == LockOperations.LOCK_UN) {
        locks.unlock(path, o);
        return 0;
      }
      LeaseMode mode = switch (kind) {
        case LockOperations.LOCK_SH -> LeaseMode.SHARED;
        case LockOperations.LOCK_EX -> LeaseMode.EXCLUSIVE;
        default -> null;
      };
      if (mode == null) {
        return errors.einval();
      }
      return refused("flock", path, locks.lock(path, o, mode, LockRanges.NONE, 0,
          (op & LockOperations.LOCK_NB) == 0, interrupted));
    });
  }

  @Override
  public int lock(String path, long fh, long owner, int cmd, MemorySegment flock) {
    return guard("lock", path, () -> {
      if (log.isDebugEnabled()) {
        log.debug("lock {} owner {} cmd {} type {}", path, Long.toHexString(owner), cmd, LockOperations.lockType(flock));
      }
      MountLocks.Owner o = new MountLocks.Owner(false, owner);
      short type = LockOperations.lockType(flock);
      Optional<LeaseMode> mode = switch (type) {
        case LockOperations.F_RDLCK -> Optional.of(LeaseMode.SHARED);
        case LockOperations.F_WRLCK -> Optional.of(LeaseMode.EXCLUSIVE);
        case LockOperations.F_UNLCK -> Optional.empty();
        default -> null;
      };
      Optional<long[]> range = LockRanges.range(flock.get(ValueLayout.JAVA_LONG, LockOperations.FLOCK_START_OFFSET),
          flock.get(ValueLayout.JAVA_LONG, LockOperations.FLOCK_LEN_OFFSET));
      if (mode == null || range.isEmpty()) {
        return errors.einval();
      }
      if (cmd == LockOperations.F_GETLK) {
        if (mode.isEmpty()) {
          return errors.einval();
        }
        Optional<MountLocks.Conflict> c = locks.conflict(path, o, mode.get());
        if (c.isEmpty()) {
          flock.set(ValueLayout.JAVA_SHORT, LockOperations.FLOCK_TYPE_OFFSET, LockOperations.F_UNLCK);
        } else {
          // Widened to the whole file, as it is held.
          LockOperations.writeLock(flock, c.get().mode() == LeaseMode.EXCLUSIVE ? LockOperations.F_WRLCK
              : LockOperations.F_RDLCK, 0, 0, c.get().pid());
        }
        return 0;
      }
      if (cmd != LockOperations.F_SETLK && cmd != LockOperations.F_SETLKW) {
        return errors.einval();
      }
      Optional<LockRanges> next = locks.ranges(path, o).with(range.get()[0], range.get()[1], mode);
      if (next.isEmpty()) {
        log.warn("lock {}: more than {} ranges held by one owner", path, LockRanges.MAX_RANGES);
        return -ENOLCK;
      }
      Optional<LeaseMode> held = next.get().mode();
      if (held.isEmpty()) {
        locks.unlock(path, o);
        return 0;
      }
      return refused("lock", path, locks.lock(path, o, held.get(), next.get(), LockOperations.lockPid(flock),
          cmd == LockOperations.F_SETLKW, interrupted));
    });
  }

  private int refused(String op, String path, MountLocks.Refusal r) {
    return switch (r) {
      case NONE -> 0;
      case HELD -> -EAGAIN;
      case INTERRUPTED -> -EINTR;
      case TIMED_OUT -> {
        log.info("{} {}: still held by another holder after {}", op, path, options.lockWait());
        yield -ENOLCK;
      }
      case OFFLINE -> -ENOLCK;
      case LOST, CLOSED -> errors.eio();
    };
  }

  // ---------------------------------------------------------------- helpers

  private int commit(FileInfo fi) {
    OpenFile f = handles.get(fi.getFh());
    if (f == null) {
      return errors.ebadf();
    }
    f.commit().ifPresent(attr -> committed(f, attr));
    return 0;
  }

  /** Commits this mount's uncommitted changes at {@code path} (and below it with {@code tree}). */
  private void commitOpen(String path, boolean tree) {
    for (OpenFile f : handles.values()) {
      String p = f.path();
      if ((tree ? VolumePath.isUnder(p, path) : p.equals(path)) && f.isDirty()) {
        f.commit().ifPresent(a -> committed(f, a));
      }
    }
  }

  /** {@code f} committed {@code a}: the mount shows it, and the other handles of the file know their base is old. */
  private void committed(OpenFile f, FileAttr a) {
    attrs.put(f.path(), a, attrs.generation());
    newVersion(f.path(), a.version(), f);
  }

  /**
   * Version {@code version} of {@code path} exists at the origin (from the change stream, or committed by handle
   * {@code by} of this mount): the other handles of the file whose base is older can no longer commit, and
   * fail their next write at once. Takes no handle's monitor (a commit may hold one for a long upload).
   */
  private void newVersion(String path, long version, OpenFile by) {
    for (OpenFile f : handles.values()) {
      if (f != by && f.pathIs(path)) {
        f.laterVersionExists(version);
      }
    }
  }

  /** {@code path} was changed by a metadata operation of this mount: caches and open handles follow. */
  private void changedHere(String path, FileAttr a) {
    attrs.put(path, a, attrs.generation());
    for (OpenFile f : handles.values()) {
      if (f.path().equals(path)) {
        f.changedElsewhere(a);
      }
    }
  }

  private FileAttr attr(String path) {
    Optional<FileAttr> cached = attrs.get(path);
    if (cached.isPresent()) {
      return cached.get();
    }
    long generation = attrs.generation();
    FileAttr a = client.stat(path);
    attrs.put(path, a, generation);
    return a;
  }

  private void fill(Stat st, String path, FileAttr a) {
    int perm = a.mode() & 07777;
    long size = a.size();
    long mtimeMillis = a.mtimeMillis();
    switch (a.type()) {
      case FILE -> {
        st.setMode(Stat.S_IFREG | perm);
        // An open file's uncommitted writes are part of what this mount shows.
        for (OpenFile f : handles.values()) {
          if (f.path().equals(path)) {
            Optional<long[]> pending = f.pendingSizeAndMtime();
            if (pending.isPresent()) {
              size = pending.get()[0];
              mtimeMillis = pending.get()[1];
            }
          }
        }
      }
      case DIRECTORY -> {
        st.setMode(Stat.S_IFDIR | perm);
        size = DIR_SIZE_BYTES;
      }
      case SYMLINK -> {
        st.setMode(Stat.S_IFLNK | 0777);
        size = Utf8.length(a.linkTarget());
      }
    }
    st.setNLink((short) (a.type() == FileType.DIRECTORY ? 2 : 1));
    st.setSize(size);
    st.setUid(uid);
    st.setGid(gid);
    Instant mtime = Instant.ofEpochMilli(mtimeMillis);
    st.mTime().set(mtime);
    st.cTime().set(mtime);
    st.aTime().set(mtime);
  }

  private int guardWrite(String op, String path, IntSupplier body) {
    return guard(op, path, () -> refusal != 0 ? refusal : body.getAsInt());
  }

  /**
   * Runs a callback: Outpost errors become their errno, anything else EIO and a log line, never an exception.
   * While the mount stops it is EIO at once (the gate is shut): the volume is going away, and the error is the one
   * every program already handles as "the call failed".
   */
  private int guard(String op, String path, IntSupplier body) {
    if (!gate.enter()) {
      return errors.eio();
    }
    try {
      if (Utf8.mayBeLossy(path)) {
        return errors.eilseq();
      }
      return body.getAsInt();
    } catch (OutpostException e) {
      if (log.isDebugEnabled()) {
        log.debug("{} {}: {}", op, path, e.toString());
      }
      return errors.toErrno(op, path, e);
    } catch (Throwable t) {
      log.error("{} {} failed unexpectedly", op, path, t);
      return errors.eio();
    } finally {
      gate.exit();
    }
  }
}
