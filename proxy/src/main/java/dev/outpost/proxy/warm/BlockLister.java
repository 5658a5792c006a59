package dev.outpost.proxy.warm;

import dev.outpost.core.OutpostException;
import dev.outpost.core.BlockRef;
import dev.outpost.protocol.SnapshotInfo;
import java.util.List;
import java.util.function.Consumer;

/** What warm jobs and path operations ask the origin: its snapshots, and the blocks under a path. */
public interface BlockLister {
  /**
   * The volume's snapshots. Blocks the caller.
   *
   * @throws OutpostException UNAVAILABLE if the origin cannot be reached
   */
  List<SnapshotInfo> snapshots();

  /**
   * Every block of the files under {@code prefix} of {@code snapshot} ("" = live), handed to {@code batches} in
   * arrival order on the caller's thread. Blocks the caller until the listing ends or {@code stop} is set.
   *
   * @throws OutpostException NOT_FOUND for an unknown snapshot or path, UNAVAILABLE if the origin is lost
   */
  void list(String snapshot, String prefix, Consumer<List<BlockRef>> batches, java.util.function.BooleanSupplier stop);

  /** The newest snapshot's name (by creation time, then journal sequence). */
  default String latestSnapshot() {
    return snapshots().stream()
        .max(java.util.Comparator.comparingLong(SnapshotInfo::createdAtMillis).thenComparingLong(SnapshotInfo::seq))
        .map(SnapshotInfo::name)
        .orElseThrow(() -> new OutpostException(dev.outpost.core.ErrorCode.NOT_FOUND,
            "the origin has no snapshots yet (warm --snapshot \"\" warms the live volume)"));
  }
}
