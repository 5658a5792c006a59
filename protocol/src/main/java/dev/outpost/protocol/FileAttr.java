package dev.outpost.protocol;

import dev.outpost.core.RootRef;
import java.util.Optional;

/**
 * Attributes of one file, directory or symlink, as the origin holds them.
 *
 * @param inode stable identity, positive
 * @param type file, directory or symlink
 * @param mode permission bits, 0..07777
 * @param size bytes of plaintext (files), or of the target (symlinks); never negative
 * @param mtimeMillis modification time, milliseconds since the epoch
 * @param version grows on every change of this entry; a commit names the version it started from
 * @param root where the content starts; present only for a non-empty FILE
 * @param linkTarget the target of a SYMLINK, "" for every other type
 */
public record FileAttr(long inode, FileType type, int mode, long size, long mtimeMillis, long version,
    Optional<RootRef> root, String linkTarget) {

  /**
   * @throws dev.outpost.core.OutpostException INVALID_ARGUMENT (or INVALID_PATH for a bad link target)
   */
  public FileAttr {
    Invariants.atLeast(inode, 1, "inode");
    Invariants.present(type, "file type");
    Invariants.mode(mode);
    Invariants.atLeast(size, 0, "size");
    Invariants.atLeast(version, 0, "version");
    Invariants.present(root, "root");
    Invariants.present(linkTarget, "link target");
    if (root.isPresent() && type != FileType.FILE) {
      throw Invariants.invalid("only a file has a root, not a " + type);
    }
    if (type == FileType.SYMLINK) {
      Invariants.linkTarget(linkTarget);
    } else if (!linkTarget.isEmpty()) {
      throw Invariants.invalid("only a symlink has a link target, not a " + type);
    }
  }
}
