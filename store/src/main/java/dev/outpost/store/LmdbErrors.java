package dev.outpost.store;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.LmdbException;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.Txn;

/**
 * The one place where lmdbjava's exceptions become {@link OutpostException}s; the cause is kept. Messages name the
 * cause and never the store's directory: they reach clients over the wire, and where a server keeps its files is
 * its own business ({@link LmdbStorage} puts the directory in the server's log).
 */
final class LmdbErrors {
  /** errno values that mean the disk (not the map) is full. */
  private static final int ENOSPC = 28;
  private static final int EDQUOT = 122;
  private static final int EIO = 5;
  /**
   * LMDB turns a short write into EIO ("short write, filesystem full?" in mdb.c): a write that filled the disk
   * midway. Below this much room left on the store's filesystem, such an EIO is taken for what it is, a full disk.
   */
  static final long FULL_BELOW_BYTES = 1 << 20;

  private LmdbErrors() {}

  /**
   * @param directory the store's directory, to tell a full disk behind an EIO; never put in the message
   * @param what the operation, e.g. "write"
   */
  static OutpostException translate(LmdbException e, Path directory, String what) {
    String where = "LMDB " + what + " failed: ";
    return switch (e) {
      case Env.MapFullException m ->
          new OutpostException(ErrorCode.NO_SPACE, where + "the memory map is full", e);
      case Txn.TxFullException t ->
          new OutpostException(ErrorCode.NO_SPACE, where + "one transaction touched too many pages; split it", e);
      case Env.ReadersFullException r ->
          new OutpostException(ErrorCode.BUSY, where + "every reader slot is taken", e);
      case Dbi.DbFullException d ->
          new OutpostException(ErrorCode.INTERNAL, where + "too many named databases", e);
      case Env.FileInvalidException f ->
          new OutpostException(ErrorCode.INTERNAL, where + "the directory does not hold an LMDB store", e);
      case Env.VersionMismatchException v ->
          new OutpostException(ErrorCode.INTERNAL, where + "the store was written by another LMDB version", e);
      case LmdbNativeException n when n.getResultCode() == ENOSPC || n.getResultCode() == EDQUOT ->
          new OutpostException(ErrorCode.NO_SPACE, where + "the disk is full (errno " + n.getResultCode() + ")", e);
      case LmdbNativeException n when n.getResultCode() == EIO && usableBytes(directory) < FULL_BELOW_BYTES ->
          new OutpostException(ErrorCode.NO_SPACE, where + "the disk is full (a write was cut short with "
              + usableBytes(directory) + " bytes left on the filesystem)", e);
      default -> new OutpostException(ErrorCode.INTERNAL, where + e.getMessage(), e);
    };
  }

  /** Room left for new data on the filesystem holding {@code directory}; Long.MAX_VALUE if it cannot be told. */
  static long usableBytes(Path directory) {
    try {
      return Files.getFileStore(directory).getUsableSpace();
    } catch (IOException | SecurityException e) {
      return Long.MAX_VALUE;
    }
  }
}
