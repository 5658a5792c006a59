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
 * Tells the kernel to drop its cached attributes and pages of one path, through libfuse3's
 * {@code fuse_invalidate_path(struct fuse *, const char *)} (jfuse has no such call). The {@code struct fuse *}
 * is only reachable from inside a FUSE callback ({@code fuse_get_context()->fuse}), so {@link #capture()} runs in
 * {@code init}. Thread-safe; after {@link #disable()} (before the session is destroyed) calls do nothing, so an
 * invalidation can never touch a freed session.
 */
final class KernelInvalidator {
  private static final Logger log = LoggerFactory.getLogger(KernelInvalidator.class);

  private final MethodHandle getContext;
  private final MethodHandle invalidatePath;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private MemorySegment fuse = MemorySegment.NULL;

  // Native access is the point of this class; the JVM runs with --enable-native-access=ALL-UNNAMED (jvm.properties).
  @SuppressWarnings("restricted")
  KernelInvalidator(Path libfuse) {
    Linker linker = Linker.nativeLinker();
    // The library stays loaded for the JVM's life anyway (jfuse loads it too); a global arena matches that.
    SymbolLookup lib = SymbolLookup.libraryLookup(libfuse, Arena.global());
    this.getContext = linker.downcallHandle(lib.findOrThrow("fuse_get_context"),
        FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(ValueLayout.ADDRESS)));
    this.invalidatePath = linker.downcallHandle(lib.findOrThrow("fuse_invalidate_path"),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
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

  /** Stops every later invalidation; call before the session is destroyed. */
  void disable() {
    lock.writeLock().lock();
    try {
      fuse = MemorySegment.NULL;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Drops the kernel's attributes and pages of {@code path} (a path the kernel does not know is not an error). */
  void invalidate(String path) {
    lock.readLock().lock();
    try {
      if (fuse.equals(MemorySegment.NULL)) {
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
}
