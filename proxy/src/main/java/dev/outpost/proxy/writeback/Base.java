package dev.outpost.proxy.writeback;

import dev.outpost.protocol.FileAttr;
import java.util.Optional;

/**
 * What the branch knew of a path at headquarters when a change to it was logged: the version a change was made
 * against (a conflict record's "base", issue 13 builds on it).
 */
public sealed interface Base {
  /** The entry existed at headquarters with these attributes. */
  record Existing(FileAttr attr) implements Base {}

  /** The path was known not to exist at headquarters. */
  record Absent() implements Base {}

  /** Nothing was known (a creation applied optimistically while cut off). */
  record Unknown() implements Base {}

  Base ABSENT = new Absent();
  Base UNKNOWN = new Unknown();

  /** The attributes, when the entry existed. */
  default Optional<FileAttr> existing() {
    return this instanceof Existing e ? Optional.of(e.attr()) : Optional.empty();
  }
}
