package dev.outpost.bench.wan;

/**
 * Bytes that crossed the emulated WAN link.
 *
 * @param up branch → headquarters (requests, uploads)
 * @param down headquarters → branch (replies, blocks)
 */
public record WanBytes(long up, long down) {
  public static final WanBytes ZERO = new WanBytes(0, 0);

  public WanBytes minus(WanBytes earlier) {
    return new WanBytes(up - earlier.up, down - earlier.down);
  }

  public long total() {
    return up + down;
  }
}
