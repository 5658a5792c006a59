package dev.outpost.protocol;

import java.util.List;

/**
 * One page of a directory listing, answering {@link ReadDir}.
 *
 * @param entries at most {@link ReadDir#MAX_ENTRIES}, in name order (an immutable copy)
 * @param more true if entries after the last one exist
 * @param staleSinceMillis 0 = current; otherwise the time since which the answering proxy has not heard from
 *     the origin (see {@link AttrReply#staleSinceMillis()})
 */
public record DirPage(List<DirEntry> entries, boolean more, long staleSinceMillis) implements Reply {
  public DirPage {
    entries = Invariants.list(entries, 0, ReadDir.MAX_ENTRIES, "directory page");
    Invariants.atLeast(staleSinceMillis, 0, "stale-since time");
  }

  /** A current page (not stale). */
  public DirPage(List<DirEntry> entries, boolean more) {
    this(entries, more, 0);
  }
}
