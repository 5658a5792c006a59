package dev.outpost.protocol;

import dev.outpost.core.VolumePath;

/**
 * One entry of a directory listing with its full attributes (readdir-plus).
 *
 * @param name a single path component ({@link VolumePath#checkName})
 * @param attr the entry's attributes
 */
public record DirEntry(String name, FileAttr attr) {
  public DirEntry {
    VolumePath.checkName(name);
    Invariants.text(name, "name");
    Invariants.present(attr, "attributes");
  }
}
