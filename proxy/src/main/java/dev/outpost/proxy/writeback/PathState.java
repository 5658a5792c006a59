package dev.outpost.proxy.writeback;

import dev.outpost.protocol.FileAttr;

/** What the branch knows of one path. */
sealed interface PathState {
  /**
   * It exists with these attributes.
   *
   * @param createdHere made at the branch by a logged creation (headquarters had nothing there as far as known)
   */
  record Present(FileAttr attr, boolean createdHere) implements PathState {}

  /** It does not exist. */
  record Absent() implements PathState {}

  /** Nothing is known: the attribute cache does not hold it (or cannot be trusted now). */
  record Unknown() implements PathState {}

  PathState ABSENT = new Absent();
  PathState UNKNOWN = new Unknown();
}
