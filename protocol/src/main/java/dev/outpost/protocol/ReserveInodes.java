package dev.outpost.protocol;

/**
 * Reserves a range of inode numbers for an originator, so it can number entries it creates while cut off from
 * the origin (a proxy's write-back log) and have the origin keep those numbers when the creations are replayed
 * ({@link Create#inode()}): a file's content key is wrapped for its inode, so the number must not change.
 * Answered by {@link InodeRange}. A reserved number is used at most once; an originator holds at most
 * {@link #MAX_RANGES} unused ranges (asking for more is refused INVALID_ARGUMENT), and ranges unused for 30 days
 * are dropped.
 *
 * @param originator the originator whose operations will use the numbers; not 0
 * @param count how many numbers, 1..{@value #MAX_COUNT}
 */
public record ReserveInodes(long originator, int count) implements Request {
  public static final int MAX_COUNT = 65_536;
  /** Unused ranges an originator may hold at once. */
  public static final int MAX_RANGES = 4;

  public ReserveInodes {
    if (originator == 0) {
      throw Invariants.invalid("an inode reservation needs an originator, not 0");
    }
    Invariants.range(count, 1, MAX_COUNT, "inode count");
  }
}
