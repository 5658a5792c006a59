package dev.outpost.protocol;

/**
 * Every block reachable from the files under a path (data and index blocks), for warming a cache or
 * collecting garbage. Answered by a stream of {@link BlockRefs} frames with {@link Frame#MORE}; the last one
 * has no MORE and may be empty.
 *
 * @param snapshot "" for the live volume, else a snapshot name
 * @param prefix a volume path ("/" for the whole volume)
 */
public record ListBlocks(String snapshot, String prefix) implements Request {
  public ListBlocks {
    SnapshotInfo.checkName(snapshot);
    Invariants.path(prefix);
  }
}
