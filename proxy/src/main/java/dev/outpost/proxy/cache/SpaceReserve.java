package dev.outpost.proxy.cache;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file of a few MiB the cache keeps on its own filesystem and deletes when the disk is too full even to evict. LMDB
 * writes copy-on-write, so it needs fresh pages even to delete, and pages freed by one transaction are reusable only
 * two transactions later: on a disk filled to the last byte (by anyone) the cache could neither store nor evict.
 * Deleting this file gives it the room to evict down to its lowered bound, after which it lives on the pages its file
 * already has. Made again at the next start. The bytes are random, so a compressing filesystem really sets them
 * aside.
 *
 * <p>Writer thread only after {@link #create}.
 */
final class SpaceReserve {
  private static final Logger log = LoggerFactory.getLogger(SpaceReserve.class);
  static final String FILE_NAME = "space-reserve";
  static final long MIN_BYTES = 256 << 10;
  static final long MAX_BYTES = 16 << 20;

  private final Path file;
  private long bytes;

  private SpaceReserve(Path file, long bytes) {
    this.file = file;
    this.bytes = bytes;
  }

  /**
   * Makes the reserve in {@code dir}, 1/64 of its filesystem between {@value #MIN_BYTES} and {@value #MAX_BYTES}
   * bytes, unless it is there already; where there is no room for it the cache goes on without one.
   */
  static SpaceReserve create(Path dir) {
    Path file = dir.resolve(FILE_NAME);
    try {
      FileStore fs = Files.getFileStore(dir);
      long want = Math.clamp(fs.getTotalSpace() / 64, MIN_BYTES, MAX_BYTES);
      if (Files.isRegularFile(file) && Files.size(file) >= want) {
        return new SpaceReserve(file, Files.size(file));
      }
      write(file, want);
      return new SpaceReserve(file, want);
    } catch (IOException e) {
      log.info("no room for the cache's space reserve {} ({}); going on without one", file, e.toString());
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // Nothing to give back then.
      }
      return new SpaceReserve(file, 0);
    }
  }

  private static void write(Path file, long size) throws IOException {
    byte[] chunk = new byte[64 << 10];
    new SplittableRandom().nextBytes(chunk);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING); OutputStream out = Channels.newOutputStream(ch)) {
      for (long written = 0; written < size; written += chunk.length) {
        out.write(chunk, 0, (int) Math.min(chunk.length, size - written));
      }
      ch.force(true);
    }
  }

  /** Bytes set aside now (0 once released). */
  long bytes() {
    return bytes;
  }

  /** Gives the reserve back to the filesystem; the bytes released (0 if there were none). */
  long release() {
    long freed = bytes;
    if (freed == 0) {
      return 0;
    }
    bytes = 0;
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("cannot delete the cache's space reserve {}: {}", file, e.toString());
      return 0;
    }
    return freed;
  }
}
