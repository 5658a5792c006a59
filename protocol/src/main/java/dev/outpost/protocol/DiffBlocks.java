package dev.outpost.protocol;

/**
 * The blocks (data and index) of the files under {@code prefix} in {@code target} that no file under
 * {@code prefix} in {@code base} references: what a cache that holds {@code base} lacks of {@code target}. The
 * origin answers from the trees' metadata and the index blocks' public parts (no key). Answered like
 * {@link ListBlocks}: a stream of {@link BlockRefs} frames with {@link Frame#MORE}, the last without it (may be
 * empty); each id at most once.
 *
 * @param base "" for the live volume, else a snapshot name
 * @param target "" for the live volume, else a snapshot name
 * @param prefix a volume path ("/" for the whole volume)
 */
public record DiffBlocks(String base, String target, String prefix) implements Request {
  public DiffBlocks {
    SnapshotInfo.checkName(base);
    SnapshotInfo.checkName(target);
    Invariants.path(prefix);
  }
}
