package dev.outpost.protocol;

/**
 * Attributes of one path. Answered by {@link AttrReply}.
 *
 * @param snapshot "" for the live volume, else a snapshot name ({@link SnapshotInfo#checkName})
 * @param path a volume path
 */
public record GetAttr(String snapshot, String path) implements Request {
  public GetAttr {
    SnapshotInfo.checkName(snapshot);
    Invariants.path(path);
  }
}
