package dev.outpost.protocol;

/**
 * The target of a symlink. Answered by {@link LinkTarget}.
 *
 * @param snapshot "" for the live volume, else a snapshot name
 * @param path the link
 */
public record ReadLink(String snapshot, String path) implements Request {
  public ReadLink {
    SnapshotInfo.checkName(snapshot);
    Invariants.path(path);
  }
}
