package dev.outpost.fuse;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.file.Path;
import org.cryptomator.jfuse.api.Fuse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two lock operations of libfuse3's {@code struct fuse_operations} that jfuse 0.7.1 does not bind: {@code lock}
 * (fcntl F_GETLK/F_SETLK/F_SETLKW, also OFD locks) and {@code flock}. Without them libfuse does not ask the kernel
 * for remote locks (FUSE_CAP_POSIX_LOCKS, FUSE_CAP_FLOCK_LOCKS) and the kernel keeps every lock local to this
 * machine, so two mounts would never exclude each other. {@link #bind} writes upcall stubs into the struct jfuse
 * built, before {@code fuse_new} copies it; {@link #interrupted()} is libfuse's {@code fuse_interrupted()}, which a
 * waiting lock polls so a signal ends the wait.
 *
 * <p>Layouts are those of libfuse 3 on 64-bit Linux (the platforms jfuse supports): {@code lock} at byte 248 and
 * {@code flock} at 304 of {@code fuse_operations}; {@code fuse_file_info.fh} at 16 and {@code lock_owner} at 24;
 * {@code struct flock} = short l_type, short l_whence, (pad), off_t l_start at 8, off_t l_len at 16, pid_t l_pid at
 * 24. A test checks the first against jfuse's generated layout.
 *
 * <p>The handler is called on libfuse's threads and must never throw (an exception in an upcall ends the JVM):
 * these stubs return EIO for anything it lets escape.
 */
final class LockOperations {
  private static final Logger log = LoggerFactory.getLogger(LockOperations.class);
  static final long LOCK_OFFSET = 248;
  static final long FLOCK_OFFSET = 304;
  static final long FI_FH_OFFSET = 16;
  static final long FI_LOCK_OWNER_OFFSET = 24;
  static final long FLOCK_TYPE_OFFSET = 0;
  static final long FLOCK_WHENCE_OFFSET = 2;
  static final long FLOCK_START_OFFSET = 8;
  static final long FLOCK_LEN_OFFSET = 16;
  static final long FLOCK_PID_OFFSET = 24;
  static final long FLOCK_BYTES = 32;
  /** Linux's values. */
  static final int F_GETLK = 5;
  static final int F_SETLK = 6;
  static final int F_SETLKW = 7;
  static final short F_RDLCK = 0;
  static final short F_WRLCK = 1;
  static final short F_UNLCK = 2;
  static final int LOCK_SH = 1;
  static final int LOCK_EX = 2;
  static final int LOCK_NB = 4;
  static final int LOCK_UN = 8;
  private static final int EIO = 5;

  /** What the mount does with a lock request; paths are the mount's, owners libfuse's lock owner ids. */
  interface Handler {
    /** flock(2): {@code op} is LOCK_SH, LOCK_EX or LOCK_UN, maybe | LOCK_NB. Returns 0 or a negative errno. */
    int flock(String path, long fh, long owner, int op);

    /**
     * fcntl(2) F_GETLK / F_SETLK / F_SETLKW with the caller's {@code struct flock}; for F_GETLK the handler
     * writes the answer into it ({@link #writeLock}). Returns 0 or a negative errno.
     */
    int lock(String path, long fh, long owner, int cmd, MemorySegment flock);
  }

  private final MethodHandle fuseInterrupted;

  @SuppressWarnings("restricted")
  LockOperations(Path libfuse) {
    SymbolLookup lib = SymbolLookup.libraryLookup(libfuse, Arena.global());
    this.fuseInterrupted = Linker.nativeLinker().downcallHandle(lib.findOrThrow("fuse_interrupted"),
        FunctionDescriptor.of(ValueLayout.JAVA_INT));
  }

  /**
   * Puts {@code handler}'s {@code lock} and {@code flock} into the operations struct of {@code fuse} (not yet
   * mounted). The stubs live in {@code arena}, which must outlive the FUSE loop.
   *
   * @throws IllegalStateException if jfuse's struct cannot be reached (another jfuse version)
   */
  @SuppressWarnings("restricted")
  static void bind(Fuse fuse, Handler handler, Arena arena) {
    MemorySegment ops;
    try {
      Field f = Fuse.class.getDeclaredField("fuseOperationsStruct");
      f.setAccessible(true);
      ops = (MemorySegment) f.get(fuse);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot reach jfuse's fuse_operations to bind lock and flock", e);
    }
    if (ops.byteSize() < FLOCK_OFFSET + ValueLayout.ADDRESS.byteSize()) {
      throw new IllegalStateException("jfuse's fuse_operations is " + ops.byteSize() + " bytes: not libfuse 3's");
    }
    Upcalls up = new Upcalls(handler);
    Linker linker = Linker.nativeLinker();
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      MethodHandle flock = lookup.findVirtual(Upcalls.class, "flock",
          MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, int.class)).bindTo(up);
      MethodHandle lock = lookup.findVirtual(Upcalls.class, "lock", MethodType.methodType(int.class,
          MemorySegment.class, MemorySegment.class, int.class, MemorySegment.class)).bindTo(up);
      MemorySegment flockStub = linker.upcallStub(flock, FunctionDescriptor.of(ValueLayout.JAVA_INT,
          ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), arena);
      MemorySegment lockStub = linker.upcallStub(lock, FunctionDescriptor.of(ValueLayout.JAVA_INT,
          ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), arena);
      ops.set(ValueLayout.ADDRESS, FLOCK_OFFSET, flockStub);
      ops.set(ValueLayout.ADDRESS, LOCK_OFFSET, lockStub);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot make the lock upcalls", e);
    }
  }

  /** Whether the request this FUSE thread is serving was interrupted (the caller got a signal). */
  boolean interrupted() {
    try {
      return (int) fuseInterrupted.invokeExact() != 0;
    } catch (Throwable t) {
      return false;
    }
  }

  /** Fills a {@code struct flock} (F_GETLK's answer). */
  static void writeLock(MemorySegment flock, short type, long start, long len, int pid) {
    flock.set(ValueLayout.JAVA_SHORT, FLOCK_TYPE_OFFSET, type);
    flock.set(ValueLayout.JAVA_SHORT, FLOCK_WHENCE_OFFSET, (short) 0); // SEEK_SET
    flock.set(ValueLayout.JAVA_LONG, FLOCK_START_OFFSET, start);
    flock.set(ValueLayout.JAVA_LONG, FLOCK_LEN_OFFSET, len);
    flock.set(ValueLayout.JAVA_INT, FLOCK_PID_OFFSET, pid);
  }

  static short lockType(MemorySegment flock) {
    return flock.get(ValueLayout.JAVA_SHORT, FLOCK_TYPE_OFFSET);
  }

  static int lockPid(MemorySegment flock) {
    return flock.get(ValueLayout.JAVA_INT, FLOCK_PID_OFFSET);
  }

  /** The native entry points: decode, call the handler, never throw. */
  private record Upcalls(Handler handler) {
    int flock(MemorySegment path, MemorySegment fi, int op) {
      try {
        MemorySegment info = fi.reinterpret(FI_LOCK_OWNER_OFFSET + 8);
        return handler.flock(string(path), info.get(ValueLayout.JAVA_LONG, FI_FH_OFFSET),
            info.get(ValueLayout.JAVA_LONG, FI_LOCK_OWNER_OFFSET), op);
      } catch (Throwable t) {
        log.error("flock failed unexpectedly", t);
        return -EIO;
      }
    }

    int lock(MemorySegment path, MemorySegment fi, int cmd, MemorySegment flock) {
      try {
        MemorySegment info = fi.reinterpret(FI_LOCK_OWNER_OFFSET + 8);
        return handler.lock(string(path), info.get(ValueLayout.JAVA_LONG, FI_FH_OFFSET),
            info.get(ValueLayout.JAVA_LONG, FI_LOCK_OWNER_OFFSET), cmd, flock.reinterpret(FLOCK_BYTES));
      } catch (Throwable t) {
        log.error("lock failed unexpectedly", t);
        return -EIO;
      }
    }

    @SuppressWarnings("restricted")
    private static String string(MemorySegment path) {
      return path.reinterpret(Integer.MAX_VALUE).getString(0);
    }
  }
}
