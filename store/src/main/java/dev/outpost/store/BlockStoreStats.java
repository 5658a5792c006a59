package dev.outpost.store;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * How many blocks a {@link BlockStore} holds and their total ciphertext bytes. Stored in the same write
 * transaction as the blocks themselves, so it is exact after restarts and crashes.
 */
public record BlockStoreStats(long count, long bytes) {
  public static final BlockStoreStats EMPTY = new BlockStoreStats(0, 0);

  static final Codec<BlockStoreStats> CODEC = Codec.of(
      (s, out) -> out.writeLong(s.count).writeLong(s.bytes),
      in -> new BlockStoreStats(in.readLong(), in.readLong()));

  public BlockStoreStats {
    if (count < 0 || bytes < 0) {
      throw new OutpostException(ErrorCode.INTERNAL, "negative block store stats: " + count + " blocks, " + bytes + " bytes");
    }
  }

  BlockStoreStats plus(long blocks, long cipherBytes) {
    return new BlockStoreStats(count + blocks, bytes + cipherBytes);
  }
}
