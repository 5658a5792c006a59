package dev.outpost.protocol;

/**
 * What changed under {@code prefix} from {@code base} to {@code target}, entry by entry ({@link PathChange}).
 * Answered by a stream of {@link PathChanges} frames with {@link Frame#MORE}, the last without it (may be
 * empty).
 *
 * @param base "" for the live volume, else a snapshot name
 * @param target "" for the live volume, else a snapshot name
 * @param prefix a volume path ("/" for the whole volume)
 */
public record DiffPaths(String base, String target, String prefix) implements Request {
  public DiffPaths {
    SnapshotInfo.checkName(base);
    SnapshotInfo.checkName(target);
    Invariants.path(prefix);
  }
}
