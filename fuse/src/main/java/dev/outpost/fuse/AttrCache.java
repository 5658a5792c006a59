package dev.outpost.fuse;

import dev.outpost.core.VolumePath;
import dev.outpost.protocol.FileAttr;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Attributes learnt from the origin (stat, readdir-plus, replies to changes), by path, so a tree walk costs one
 * round trip per directory instead of one per entry. An entry is trusted while the change stream is live (it drops
 * the entry on every change), and never longer than the cache's lifetime.
 *
 * <p>A lookup that started before an invalidation must not put back what it read: every {@link #put} carries the
 * generation seen when its request was sent, and is ignored if anything was invalidated since. Thread-safe.
 */
final class AttrCache {
  /** Bounds memory: a walk of a huge tree keeps refetching rather than growing without end. */
  static final int MAX_ENTRIES = 100_000;

  private record Entry(FileAttr attr, long expiresNanos) {}

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong generation = new AtomicLong();
  private final long lifetimeNanos;
  private volatile boolean enabled;

  AttrCache(long lifetimeNanos) {
    this.lifetimeNanos = lifetimeNanos;
  }

  /** Trust entries only while something invalidates them (the change stream is live). */
  void setEnabled(boolean on) {
    enabled = on;
    if (!on) {
      clear();
    }
  }

  /** Take before sending the request whose answer will be {@link #put}. */
  long generation() {
    return generation.get();
  }

  Optional<FileAttr> get(String path) {
    if (!enabled) {
      return Optional.empty();
    }
    Entry e = entries.get(path);
    if (e == null) {
      return Optional.empty();
    }
    if (System.nanoTime() - e.expiresNanos > 0) {
      entries.remove(path, e);
      return Optional.empty();
    }
    return Optional.of(e.attr);
  }

  void put(String path, FileAttr attr, long seenGeneration) {
    if (!enabled || generation.get() != seenGeneration) {
      return;
    }
    if (entries.size() >= MAX_ENTRIES) {
      entries.clear();
    }
    entries.put(path, new Entry(attr, System.nanoTime() + lifetimeNanos));
    // An invalidation that raced with this put must win: undo if one happened meanwhile.
    if (generation.get() != seenGeneration) {
      entries.remove(path);
    }
  }

  /** Forgets {@code path}. */
  void invalidate(String path) {
    generation.incrementAndGet();
    entries.remove(path);
  }

  /** Forgets {@code path} and everything below it (a directory removed or renamed). */
  void invalidateTree(String path) {
    generation.incrementAndGet();
    entries.remove(path);
    if (!path.equals(VolumePath.ROOT)) {
      entries.keySet().removeIf(p -> VolumePath.isUnder(p, path));
    } else {
      entries.clear();
    }
  }

  void clear() {
    generation.incrementAndGet();
    entries.clear();
  }
}
