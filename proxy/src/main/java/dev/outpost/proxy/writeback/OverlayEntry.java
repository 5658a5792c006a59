package dev.outpost.proxy.writeback;

import dev.outpost.protocol.FileAttr;

/**
 * How the branch sees a path that logged mutations changed, over what the attribute cache holds from
 * headquarters: every client of the branch reads these at once (read-your-writes at the site).
 */
public sealed interface OverlayEntry {
  /**
   * The entry as the branch now has it.
   *
   * @param createdHere made at the branch (by a logged creation), so headquarters had nothing there as far as the
   *     branch knows: a directory made here lists only what the overlay holds
   */
  record Present(FileAttr attr, boolean createdHere) implements OverlayEntry {}

  /** Removed at the branch (unlink, rmdir, the old name of a rename). */
  record Whiteout() implements OverlayEntry {}

  OverlayEntry WHITEOUT = new Whiteout();
}
