package dev.outpost.protocol;

/**
 * Takes a snapshot of the live volume. Answered by {@link Snapshots} holding the new one.
 *
 * @param name 1..64 of {@code [A-Za-z0-9._-]}
 */
public record SnapshotCreate(String name) implements Request {
  public SnapshotCreate {
    SnapshotInfo.checkName(name);
    if (name.isEmpty()) {
      throw Invariants.invalid("a snapshot needs a name");
    }
  }
}
