package dev.outpost.protocol;

/**
 * Lists the live leases on {@code path}: those on it or below it, and subtree leases on its ancestors that cover
 * it ("/" lists every lease). Answered by {@link Leases}, in token order; ask again with the last token returned
 * as {@code afterToken} while {@link Leases#more()} is true.
 *
 * @param path where to look
 * @param afterToken 0 to start with the oldest lease, else the last token of the previous page
 * @param maxEntries 1..{@value #MAX_ENTRIES}
 */
public record LeaseList(String path, long afterToken, int maxEntries) implements Request {
  /** A page of this many stays well under the smallest frame limit (paths ≤ 4 KiB, holders ≤ 255 bytes). */
  public static final int MAX_ENTRIES = 256;

  public LeaseList {
    Invariants.path(path);
    Invariants.atLeast(afterToken, 0, "after token");
    Invariants.range(maxEntries, 1, MAX_ENTRIES, "max entries");
  }
}
