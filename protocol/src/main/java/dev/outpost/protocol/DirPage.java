package dev.outpost.protocol;

import java.util.List;

/**
 * One page of a directory listing, answering {@link ReadDir}.
 *
 * @param entries at most {@link ReadDir#MAX_ENTRIES}, in name order (an immutable copy)
 * @param more true if entries after the last one exist
 */
public record DirPage(List<DirEntry> entries, boolean more) implements Reply {
  public DirPage {
    entries = Invariants.list(entries, 0, ReadDir.MAX_ENTRIES, "directory page");
  }
}
