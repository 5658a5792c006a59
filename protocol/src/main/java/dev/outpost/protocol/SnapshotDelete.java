package dev.outpost.protocol;

/**
 * Deletes a snapshot; its blocks become garbage unless still referenced. Answered by {@link Ok}.
 *
 * @param name 1..64 of {@code [A-Za-z0-9._-]}
 */
public record SnapshotDelete(String name) implements Request {
  public SnapshotDelete {
    SnapshotInfo.checkName(name);
    if (name.isEmpty()) {
      throw Invariants.invalid("a snapshot needs a name");
    }
  }
}
