package dev.outpost.proxy.writeback;

import dev.outpost.protocol.DirEntry;
import java.util.List;
import java.util.Optional;

/**
 * What the branch knows of the volume: the write-back overlay over what it knows of headquarters. Local rules
 * decide against it; readers are answered from it.
 */
interface BranchView {
  /** The branch's view of {@code path}. */
  PathState state(String path);

  /** What the branch knows of {@code path} at headquarters, ignoring the overlay (the base of a change). */
  PathState atHeadquarters(String path);

  /** Every entry of directory {@code dir} as the branch sees it, in name order; empty if not known. */
  Optional<List<DirEntry>> listing(String dir);
}
