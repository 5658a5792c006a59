package dev.outpost.store;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * How an {@link LmdbStorage} opens its environment. Validated on construction; a bad value fails with
 * INVALID_ARGUMENT naming the field, the value and the allowed range.
 *
 * @param initialMapBytes size of the memory map at open; rounded up to a whole page. The map grows by
 *     doubling when a write needs more room. An existing store whose data is bigger opens at its size.
 * @param maxMapBytes the map never grows past this; a write that still does not fit fails with NO_SPACE
 * @param maxReaders read transactions that may be open at once; one more fails fast with BUSY
 * @param durable {@code true} (origin): every commit is synced to disk before it returns. {@code false}
 *     (proxy cache): commits are not synced, {@link LmdbStorage#sync()} flushes explicitly; a process crash
 *     loses nothing committed, an OS crash or power loss can lose recent commits or damage the file
 */
public record StorageConfig(long initialMapBytes, long maxMapBytes, int maxReaders, boolean durable) {
  /** Smallest map accepted: LMDB needs a handful of pages for its meta pages and named databases. */
  public static final long MIN_MAP_BYTES = 64 * 1024;
  /** Largest map accepted (16 TiB): far beyond any disk we expect, well inside a 64-bit address space. */
  public static final long MAX_MAP_BYTES = 1L << 44;
  public static final int MIN_READERS = 1;
  /** LMDB keeps reader slots in a shared lock file; more than this is a misconfiguration. */
  public static final int MAX_READERS = 16_384;

  public StorageConfig {
    if (initialMapBytes < MIN_MAP_BYTES || initialMapBytes > MAX_MAP_BYTES) {
      throw invalid("initialMapBytes", initialMapBytes, MIN_MAP_BYTES + ".." + MAX_MAP_BYTES);
    }
    if (maxMapBytes < initialMapBytes || maxMapBytes > MAX_MAP_BYTES) {
      throw invalid("maxMapBytes", maxMapBytes, "initialMapBytes (" + initialMapBytes + ").." + MAX_MAP_BYTES);
    }
    if (maxReaders < MIN_READERS || maxReaders > MAX_READERS) {
      throw invalid("maxReaders", maxReaders, MIN_READERS + ".." + MAX_READERS);
    }
  }

  /** A copy with another durability mode. */
  public StorageConfig withDurable(boolean newDurable) {
    return new StorageConfig(initialMapBytes, maxMapBytes, maxReaders, newDurable);
  }

  private static OutpostException invalid(String field, long value, String range) {
    return new OutpostException(ErrorCode.INVALID_ARGUMENT,
        "storage config: " + field + " = " + value + " is outside the allowed range " + range);
  }
}
