package dev.outpost.proxy.warm;

import dev.outpost.core.BlockId;
import dev.outpost.core.VolumePath;
import dev.outpost.core.BlockRef;
import dev.outpost.protocol.SnapshotInfo;
import dev.outpost.proxy.attrs.AttrCache;
import dev.outpost.proxy.cache.BlockCache;
import java.util.ArrayList;
import java.util.List;

/**
 * Cache operations by volume path, for the admin API: pin, unpin, evict (blocks of the live files under a path,
 * as the origin lists them) and invalidate (cached attributes). Blocks the calling thread on the origin listing:
 * call from a worker, never an event loop. Thread-safe.
 *
 * <p>Decisions: pinning marks blocks whether or not they are cached yet (a block fetched later is stored pinned);
 * {@code warm --pin} both fetches and pins. Evicting never drops a pinned block, not even for "all": pins are
 * explicit, so removing one takes an explicit unpin.
 */
public final class CachePaths {
  /** What an operation touched. {@code attributes} is the number of cached attribute entries dropped. */
  public record Affected(long blocks, long bytes, long attributes) {}

  private final BlockCache cache;
  private final AttrCache attrs;
  private final PinBook pins;
  private final BlockLister lister;

  public CachePaths(BlockCache cache, AttrCache attrs, PinBook pins, BlockLister lister) {
    this.cache = cache;
    this.attrs = attrs;
    this.pins = pins;
    this.lister = lister;
  }

  /** Pins the blocks of the live files under {@code path}; counts those not pinned before. */
  public Affected pin(String path) {
    long[] n = new long[2];
    forEachLiveBlock(path, ref -> {
      if (pins.pin(ref.id(), ref.cipherLength())) {
        n[0]++;
        n[1] += ref.cipherLength();
      }
    });
    pins.flush();
    return new Affected(n[0], n[1], 0);
  }

  /** Unpins the blocks of the live files under {@code path}; counts those that were pinned. */
  public Affected unpin(String path) {
    long[] n = new long[2];
    forEachLiveBlock(path, ref -> {
      if (pins.unpin(ref.id())) {
        n[0]++;
        n[1] += ref.cipherLength();
      }
    });
    pins.flush();
    return new Affected(n[0], n[1], 0);
  }

  /** Drops the cached, unpinned blocks of the live files under {@code path}. */
  public Affected evict(String path) {
    long[] n = new long[2];
    forEachLiveBlock(path, ref -> {
      if (cache.contains(ref.id()) && !pins.isPinned(ref.id()) && !cache.isPinned(ref.id())) {
        cache.drop(ref.id());
        n[0]++;
        n[1] += ref.cipherLength();
      }
    });
    return new Affected(n[0], n[1], 0);
  }

  /** Drops every cached block that is not pinned. */
  public Affected evictAll() {
    List<BlockId> ids = new ArrayList<>();
    cache.blockStore().forEachId((id, length) -> ids.add(id));
    long before = cache.weightedBytes();
    long n = 0;
    for (BlockId id : ids) {
      if (cache.contains(id) && !pins.isPinned(id) && !cache.isPinned(id)) {
        cache.drop(id);
        n++;
      }
    }
    return new Affected(n, Math.max(0, before - cache.weightedBytes()), 0);
  }

  /** Drops the cached attributes and listings of {@code path} and everything below it. */
  public Affected invalidate(String path) {
    VolumePath.check(path);
    long before = attrs.size();
    if (path.equals(VolumePath.ROOT)) {
      attrs.invalidateAll();
    } else {
      attrs.invalidatePaths(List.of(path), true);
    }
    return new Affected(0, 0, Math.max(0, before - attrs.size()));
  }

  private void forEachLiveBlock(String path, java.util.function.Consumer<BlockRef> action) {
    VolumePath.check(path);
    lister.list(SnapshotInfo.LIVE, path, batch -> batch.forEach(action), () -> false);
  }
}
