package dev.outpost.fuse;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libfuse3's session of one mount ({@code struct fuse *}), called through {@code java.lang.foreign} for what jfuse
 * does not offer: {@code fuse_invalidate_path}, which tells the kernel to drop its cached attributes and pages of
 * one path, and {@code fuse_exit}, which ends the session's loop once a worker thread next handles a request
 * (jfuse only ends it together with the unmount, after which nothing reaches the workers that would wake them).
 * The {@code struct fuse *} is only reachable from inside a FUSE callback ({@code fuse_get_context()->fuse}), so
 * {@link #capture()} runs in {@code init}.
 *
 * <p>Thread-safe. After {@link #release()} (before jfuse destroys the session) every call does nothing, so none
 * can touch a freed session.
 */
final class FuseSession {
  private static final Logger log = LoggerFactory.getLogger(FuseSession.class);

  private final MethodHandle getContext;
  private final MethodHandle invalidatePath;
  private final MethodHandle exit;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private MemorySegment fuse = MemorySegment.NULL;
  private boolean invalidating = true;

  // Native access is the point of this class; the JVM runs with --enable-native-access=ALL-UNNAMED (jvm.properties).
  @SuppressWarnings("restricted")
  FuseSession(Path libfuse) {
    Linker linker = Linker.nativeLinker();
    // The library stays loaded for the JVM's life anyway (jfuse loads it too); a global arena matches that.
    SymbolLookup lib = SymbolLookup.libraryLookup(libfuse, Arena.global());
    this.getContext = linker.downcallHandle(lib.findOrThrow("fuse_get_context"),
        FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(ValueLayout.ADDRESS)));
    this.invalidatePath = linker.downcallHandle(lib.findOrThrow("fuse_invalidate_path"),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    this.exit = linker.downcallHandle(lib.findOrThrow("fuse_exit"), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
  }

  /** Remembers the session; call from the {@code init} callback only. */
  void capture() {
    try {
      MemorySegment context = (MemorySegment) getContext.invokeExact();
      // struct fuse_context { struct fuse *fuse; uid_t uid; ... }: the session is the first field.
      MemorySegment session = context.get(ValueLayout.ADDRESS, 0);
      lock.writeLock().lock();
      try {
        fuse = session;
      } finally {
        lock.writeLock().unlock();
      }
    } catch (Throwable t) {
      log.warn("cannot reach the FUSE session; changes at the origin show after the kernel cache timeout", t);
    }
  }

  /** Stops every later invalidation (a stopping mount has no use for them). */
  void stopInvalidating() {
    lock.writeLock().lock();
    try {
      invalidating = false;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Drops the kernel's attributes and pages of {@code path} (a path the kernel does not know is not an error). */
  void invalidate(String path) {
    lock.readLock().lock();
    try {
      if (!invalidating || fuse.equals(MemorySegment.NULL)) {
        return;
      }
      try (Arena arena = Arena.ofConfined()) {
        int rc = (int) invalidatePath.invokeExact(fuse, arena.allocateFrom(path));
        if (rc != 0 && log.isTraceEnabled()) {
          log.trace("fuse_invalidate_path({}) = {}", path, rc);
        }
      }
    } catch (Throwable t) {
      log.warn("fuse_invalidate_path({}) failed", path, t);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Marks the session's loop as done ({@code fuse_exit}): the worker that handles the next request returns from
   * it and the loop ends, joining the other workers.
   *
   * @return false if the session was never captured (or is released), so the loop goes on
   */
  boolean exitLoop() {
    lock.readLock().lock();
    try {
      if (fuse.equals(MemorySegment.NULL)) {
        return false;
      }
      exit.invokeExact(fuse);
      return true;
    } catch (Throwable t) {
      log.warn("fuse_exit failed", t);
      return false;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Forgets the session; call before jfuse destroys it. */
  void release() {
    lock.writeLock().lock();
    try {
      invalidating = false;
      fuse = MemorySegment.NULL;
    } finally {
      lock.writeLock().unlock();
    }
  }
}
