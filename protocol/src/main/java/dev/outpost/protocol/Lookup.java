package dev.outpost.protocol;

import dev.outpost.core.VolumePath;

/**
 * Attributes of one name inside a directory known by inode (the FUSE lookup). Answered by {@link AttrReply}.
 *
 * @param snapshot "" for the live volume, else a snapshot name
 * @param parentInode the directory's inode, positive
 * @param name one path component
 */
public record Lookup(String snapshot, long parentInode, String name) implements Request {
  public Lookup {
    SnapshotInfo.checkName(snapshot);
    Invariants.atLeast(parentInode, 1, "parent inode");
    VolumePath.checkName(name);
    Invariants.text(name, "name");
  }
}
