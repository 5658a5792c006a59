package dev.outpost.origin.volume;

import dev.outpost.core.RootRef;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import java.util.Optional;

/**
 * One stored inode: what {@link FileAttr} carries minus the inode number (the key), plus the parent inode
 * (each entry has exactly one name: no hard links), which rename and fsck need.
 */
record InodeRecord(FileType type, int mode, long size, long mtimeMillis, long version, Optional<RootRef> root,
    String linkTarget, long parent) {

  FileAttr toAttr(long inode) {
    return new FileAttr(inode, type, mode, size, mtimeMillis, version, root, linkTarget);
  }

  boolean isDirectory() {
    return type == FileType.DIRECTORY;
  }

  InodeRecord withParent(long newParent) {
    return new InodeRecord(type, mode, size, mtimeMillis, version, root, linkTarget, newParent);
  }

  /** The next version with a new mtime: a directory whose entries changed. */
  InodeRecord touched(long newMtimeMillis) {
    return new InodeRecord(type, mode, size, newMtimeMillis, version + 1, root, linkTarget, parent);
  }

  InodeRecord withAttrs(int newMode, long newMtimeMillis) {
    return new InodeRecord(type, newMode, size, newMtimeMillis, version + 1, root, linkTarget, parent);
  }

  InodeRecord withContent(Optional<RootRef> newRoot, long newSize, long newMtimeMillis) {
    return new InodeRecord(type, mode, newSize, newMtimeMillis, version + 1, newRoot, linkTarget, parent);
  }
}
