package dev.outpost.protocol;

/**
 * One journal entry delivered to a subscriber.
 *
 * @param seq the entry's sequence, positive and increasing
 * @param inode the changed entry
 * @param path its path (after the change, for RENAMED)
 * @param fromPath the old path for RENAMED, "" otherwise
 * @param version the entry's version after the change
 * @param kind what changed
 */
public record ChangeEvent(long seq, long inode, String path, String fromPath, long version, ChangeKind kind)
    implements Reply {
  public ChangeEvent {
    Invariants.atLeast(seq, 1, "sequence");
    Invariants.atLeast(inode, 1, "inode");
    Invariants.path(path);
    Invariants.present(fromPath, "from path");
    Invariants.atLeast(version, 0, "version");
    Invariants.present(kind, "change kind");
    if (kind == ChangeKind.RENAMED) {
      Invariants.path(fromPath);
    } else if (!fromPath.isEmpty()) {
      throw Invariants.invalid("only a RENAMED event has a from path, not " + kind);
    }
  }
}
