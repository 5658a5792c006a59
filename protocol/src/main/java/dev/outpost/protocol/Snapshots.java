package dev.outpost.protocol;

import java.util.List;

/**
 * Snapshots, answering {@link SnapshotList} (all of them) or {@link SnapshotCreate} (the new one).
 *
 * @param snapshots an immutable copy
 */
public record Snapshots(List<SnapshotInfo> snapshots) implements Reply {
  public Snapshots {
    snapshots = Invariants.list(snapshots, 0, Integer.MAX_VALUE, "snapshots");
  }
}
