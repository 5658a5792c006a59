package dev.outpost.protocol;

/**
 * The inode numbers {@code first .. first + count - 1}, reserved for the originator that asked
 * ({@link ReserveInodes}).
 *
 * @param first the first number, positive
 * @param count how many, 1..{@link ReserveInodes#MAX_COUNT}
 */
public record InodeRange(long first, int count) implements Reply {
  public InodeRange {
    Invariants.atLeast(first, 1, "first inode");
    Invariants.range(count, 1, ReserveInodes.MAX_COUNT, "inode count");
    if (first > Long.MAX_VALUE - count) {
      throw Invariants.invalid("inode range " + first + "+" + count + " overflows");
    }
  }

  /** One past the last number of the range. */
  public long end() {
    return first + count;
  }
}
