package dev.outpost.protocol;

import dev.outpost.core.VolumePath;

/**
 * One page of a directory listing, in name order. Answered by {@link DirPage}; ask again with the last
 * name returned as {@code startAfter} while {@link DirPage#more()} is true.
 *
 * @param snapshot "" for the live volume, else a snapshot name
 * @param path the directory
 * @param startAfter "" to start at the beginning, else the last name of the previous page
 * @param maxEntries 1..{@value #MAX_ENTRIES}
 */
public record ReadDir(String snapshot, String path, String startAfter, int maxEntries) implements Request {
  public static final int MAX_ENTRIES = 4096;

  public ReadDir {
    SnapshotInfo.checkName(snapshot);
    Invariants.path(path);
    Invariants.present(startAfter, "start name");
    if (!startAfter.isEmpty()) {
      VolumePath.checkName(startAfter);
      Invariants.text(startAfter, "start name");
    }
    Invariants.range(maxEntries, 1, MAX_ENTRIES, "max entries");
  }
}
