package dev.outpost.protocol;

/**
 * One entry that differs between two trees of the volume ({@link DiffPaths}). An entry is its inode: CREATED
 * (only in the target, or moved in under the prefix), REMOVED (only in the base, or moved out), RENAMED (its
 * directory or name changed; {@code fromPath} is where it was), MODIFIED (a file's content: root or size) and
 * ATTRS (mode, or a file's mtime, alone). A renamed and edited file is two changes, RENAMED then MODIFIED at
 * the new path. Entries that moved only because a directory above them did are not listed: the directory's
 * RENAMED covers them, as in the change journal.
 *
 * @param kind what changed
 * @param inode the entry
 * @param type the entry's type (in the target; in the base for REMOVED)
 * @param path its path in the target (in the base for REMOVED)
 * @param fromPath its path in the base for RENAMED, "" otherwise
 */
public record PathChange(ChangeKind kind, long inode, FileType type, String path, String fromPath) {
  public PathChange {
    Invariants.present(kind, "change kind");
    Invariants.atLeast(inode, 1, "inode");
    Invariants.present(type, "file type");
    Invariants.path(path);
    Invariants.present(fromPath, "from path");
    if (kind == ChangeKind.RENAMED) {
      Invariants.path(fromPath);
    } else if (!fromPath.isEmpty()) {
      throw Invariants.invalid("only a RENAMED change has a from path, not " + kind);
    }
  }
}
