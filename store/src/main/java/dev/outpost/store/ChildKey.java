package dev.outpost.store;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * Key of a directory entry: the parent's inode, then the entry's name. Encoded by {@link Codecs#CHILD_KEY}
 * so that LMDB keeps a directory's entries together, sorted by name; a prefix scan over {@link
 * Codecs#SORTABLE_LONG} with the parent lists one directory.
 *
 * <p>Ordering: by parent (signed), then by name in Unicode code point order, which is UTF-8 byte order
 * (not {@link String#compareTo}, which compares UTF-16 units and differs for characters above U+FFFF).
 */
public record ChildKey(long parent, String name) implements Comparable<ChildKey> {
  public ChildKey {
    if (name == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "child key needs a name");
    }
  }

  @Override
  public int compareTo(ChildKey o) {
    int byParent = Long.compare(parent, o.parent);
    return byParent != 0 ? byParent : compareCodePoints(name, o.name);
  }

  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
