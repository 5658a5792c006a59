package dev.outpost.store;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.LmdbException;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.Txn;

/** The one place where lmdbjava's exceptions become {@link OutpostException}s; the cause is kept. */
final class LmdbErrors {
  /** errno values that mean the disk (not the map) is full. */
  private static final int ENOSPC = 28;
  private static final int EDQUOT = 122;

  private LmdbErrors() {}

  static OutpostException translate(LmdbException e, String store, String what) {
    String where = "LMDB " + what + " failed in " + store + ": ";
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
      default -> new OutpostException(ErrorCode.INTERNAL, where + e.getMessage(), e);
    };
  }
}
