package dev.outpost.proxy.warm;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.proxy.cache.BlockCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pinned block ids and their cipher lengths, kept in the cache and persisted in a file of 36-byte records
 * (id, big-endian length) next to the cache
 * (the cache's own pin flags live only in memory), so pins survive a restart. Writes replace the file
 * atomically. Thread-safe.
 */
public final class PinBook {
  private static final Logger log = LoggerFactory.getLogger(PinBook.class);
  public static final String FILE = "pinned-blocks";

  private final BlockCache cache;
  private final Path file;
  /** Bytes per record in the file: the id and its cipher length. */
  static final int RECORD_BYTES = BlockId.BYTES + 4;

  private final Map<BlockId, Integer> pinned = new ConcurrentHashMap<>();
  private volatile boolean dirty;

  private PinBook(BlockCache cache, Path file) {
    this.cache = cache;
    this.file = file;
  }

  /**
   * Loads the pins persisted in {@code dir} and pins them in {@code cache}. A damaged file (length not a
   * multiple of the record size) is read up to its last whole record.
   */
  public static PinBook open(BlockCache cache, Path dir) {
    PinBook book = new PinBook(cache, dir.resolve(FILE));
    book.pinned.putAll(readFile(book.file));
    book.pinned.keySet().forEach(cache::pin);
    if (!book.pinned.isEmpty()) {
      log.info("{} pinned blocks restored from {}", book.pinned.size(), book.file);
    }
    return book;
  }

  /** The ids pinned in {@code dir}'s pin file, for pinning them before the cache index is rebuilt. */
  public static Set<BlockId> persistedIds(Path dir) {
    return Set.copyOf(readFile(dir.resolve(FILE)).keySet());
  }

  /** Reads the pin file; a damaged one (length not a multiple of the record size) up to its last whole record. */
  private static Map<BlockId, Integer> readFile(Path file) {
    Map<BlockId, Integer> out = new java.util.HashMap<>();
    if (!Files.exists(file)) {
      return out;
    }
    try {
      byte[] all = Files.readAllBytes(file);
      if (all.length % RECORD_BYTES != 0) {
        log.warn("{} is {} bytes, not a multiple of {}: its tail is ignored", file, all.length, RECORD_BYTES);
      }
      ByteBuffer in = ByteBuffer.wrap(all);
      for (int off = 0; off + RECORD_BYTES <= all.length; off += RECORD_BYTES) {
        out.put(BlockId.of(all, off), Math.max(0, in.getInt(off + BlockId.BYTES)));
      }
      return out;
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot read pins " + file + ": " + e.getMessage(), e);
    }
  }

  /** Pins {@code id} (whether cached yet or not: a later fetch stores it pinned). True if it was not pinned. */
  public boolean pin(BlockId id, int cipherLength) {
    cache.pin(id);
    boolean added = pinned.put(id, cipherLength) == null;
    dirty |= added;
    return added;
  }

  /** True if it was pinned. */
  public boolean unpin(BlockId id) {
    boolean removed = pinned.remove(id) != null;
    if (removed) {
      cache.unpin(id);
      dirty = true;
    }
    return removed;
  }

  public boolean isPinned(BlockId id) {
    return pinned.containsKey(id);
  }

  /** Cipher bytes of the pinned blocks the cache holds now. */
  public long cachedBytes() {
    long sum = 0;
    for (Map.Entry<BlockId, Integer> e : pinned.entrySet()) {
      if (cache.contains(e.getKey())) {
        sum += e.getValue();
      }
    }
    return sum;
  }

  public int size() {
    return pinned.size();
  }

  /** Writes the pins if they changed since the last write. */
  public synchronized void flush() {
    if (!dirty) {
      return;
    }
    dirty = false;
    List<Map.Entry<BlockId, Integer>> entries = List.copyOf(pinned.entrySet());
    ByteBuffer all = ByteBuffer.allocate(entries.size() * RECORD_BYTES);
    byte[] id = new byte[BlockId.BYTES];
    for (Map.Entry<BlockId, Integer> e : entries) {
      e.getKey().copyTo(id, 0);
      all.put(id).putInt(e.getValue());
    }
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try {
      Files.write(tmp, all.array());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      dirty = true;
      throw new OutpostException(ErrorCode.INTERNAL, "cannot write pins " + file + ": " + e.getMessage(), e);
    }
  }
}
