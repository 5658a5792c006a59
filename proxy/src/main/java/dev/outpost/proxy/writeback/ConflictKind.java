package dev.outpost.proxy.writeback;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;

/** Why a replayed operation was refused, as a conflict record files it (issue 13's kinds). */
public enum ConflictKind {
  /** Both changed the file: headquarters has a newer version than the branch's base (CONFLICT). */
  UPDATE_UPDATE,
  /** The branch changed an entry headquarters removed meanwhile (NOT_FOUND on an update). */
  UPDATE_DELETE,
  /** The branch removed a directory headquarters added entries to (DIRECTORY_NOT_EMPTY). */
  DELETE_UPDATE,
  /** Both created the same name (ALREADY_EXISTS). */
  CREATE_CREATE,
  /** A rename onto a target headquarters changed or made a directory, or of a source it removed. */
  RENAME,
  /** A creation whose directory headquarters removed meanwhile (NOT_FOUND / NOT_A_DIRECTORY on a creation). */
  DIRECTORY_REMOVED,
  /** The lease the branch wrote under was taken over (FENCED). */
  FENCED,
  /** Refused for another reason (the error's code and message say which); kept, never dropped. */
  REFUSED;

  /** The kind for {@code mutation} refused with {@code code}. */
  public static ConflictKind of(Mutation mutation, ErrorCode code) {
    if (code == ErrorCode.FENCED) {
      return FENCED;
    }
    return switch (mutation) {
      case Rename r -> RENAME;
      case Create c -> creation(code);
      case Mkdir c -> creation(code);
      case Symlink c -> creation(code);
      case Commit c -> switch (code) {
        case CONFLICT -> UPDATE_UPDATE;
        case NOT_FOUND, NOT_A_DIRECTORY -> UPDATE_DELETE;
        default -> REFUSED;
      };
      case SetAttr s -> code == ErrorCode.NOT_FOUND ? UPDATE_DELETE : REFUSED;
      case Unlink u -> code == ErrorCode.NOT_FOUND ? UPDATE_DELETE : REFUSED;
      case Rmdir r -> switch (code) {
        case DIRECTORY_NOT_EMPTY -> DELETE_UPDATE;
        case NOT_FOUND -> UPDATE_DELETE;
        default -> REFUSED;
      };
    };
  }

  private static ConflictKind creation(ErrorCode code) {
    return switch (code) {
      case ALREADY_EXISTS, IS_A_DIRECTORY -> CREATE_CREATE;
      case NOT_FOUND, NOT_A_DIRECTORY -> DIRECTORY_REMOVED;
      default -> REFUSED;
    };
  }
}
