package dev.outpost.origin.lease;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Throttle;
import dev.outpost.transport.Errors;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out lease tokens (fencing epochs) that only grow, also across restarts. The file holds a reserved
 * high-water mark; tokens up to it may be handed out without touching the disk, so only one acquire in
 * {@code reserveBlock} pays for an fsync. After a crash the unused rest of a reservation is skipped, which
 * keeps tokens growing without ever reusing one.
 *
 * <p>Not thread-safe: the origin calls it from its single writer thread.
 */
public final class LeaseEpochs {
  private static final Logger log = LoggerFactory.getLogger(LeaseEpochs.class);
  /** The file name inside the data directory. */
  public static final String FILE_NAME = "lease-epoch";

  private final Path file;
  private final Throttle failureLog = new Throttle(Duration.ofSeconds(10));
  private final long reserveBlock;
  private long next;
  private long reserved;

  private LeaseEpochs(Path file, long reserveBlock, long reserved) {
    this.file = file;
    this.reserveBlock = reserveBlock;
    this.reserved = reserved;
    this.next = reserved + 1;
  }

  /**
   * Opens (or starts) the epoch file in {@code dataDir}.
   *
   * @throws OutpostException INTERNAL if the file exists but does not hold a number; NO_SPACE on I/O failure
   */
  public static LeaseEpochs open(Path dataDir, long reserveBlock) {
    if (reserveBlock < 1) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "lease epoch reserve block must be positive");
    }
    Path file = dataDir.resolve(FILE_NAME);
    long reserved = 0;
    if (Files.exists(file)) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.US_ASCII).strip();
      } catch (IOException e) {
        throw new OutpostException(ErrorCode.INTERNAL, "cannot read " + file + ": " + e.getMessage(), e);
      }
      try {
        reserved = Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new OutpostException(ErrorCode.INTERNAL, file + " is damaged (expected a number, found '"
            + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "')", e);
      }
      if (reserved < 0) {
        throw new OutpostException(ErrorCode.INTERNAL, file + " is damaged (negative epoch " + reserved + ")");
      }
    }
    return new LeaseEpochs(file, reserveBlock, reserved);
  }

  /** The next token; durable before it is returned (its reservation is on disk). */
  public long next() {
    if (next > reserved) {
      long newReserved = Math.addExact(next, reserveBlock - 1);
      write(newReserved);
      reserved = newReserved;
    }
    return next++;
  }

  /** The highest token that may have been handed out by this or an earlier run. */
  public long highWaterMark() {
    return reserved;
  }

  private void write(long value) {
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(java.nio.ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.US_ASCII)));
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      syncDirectory(file.getParent());
    } catch (IOException e) {
      // The path is for this server's log; the message reaches the client whose lease it was.
      long held = failureLog.pass();
      if (held >= 0) {
        log.warn("cannot write the lease epoch file {}: {}{}", file, e.toString(), Throttle.heldNote(held));
      }
      throw new OutpostException(ErrorCode.NO_SPACE,
          "cannot write the lease epoch file (" + Errors.describeForWire(e) + ")", e);
    }
  }

  /** The rename is only durable once the directory entry is; Linux allows fsync on a directory. */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some platforms refuse to open directories; the rename itself is still atomic there.
    }
  }
}
