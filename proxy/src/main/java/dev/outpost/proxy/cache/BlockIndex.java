package dev.outpost.proxy.cache;

import dev.outpost.core.BlockId;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Which cached blocks stay: a segmented LRU over block ids, bounded by cipher bytes. A block enters the probation
 * segment; a hit there moves it to the protected segment (at most {@value #PROTECTED_PERCENT} % of the bound, whose
 * least recent fall back to probation). Eviction takes probation's least recent first. So among blocks read once the
 * most recent stay (a long read through a smaller cache keeps its last part, as an LRU would), and a block read twice
 * outlives a scan of blocks read once. Pinned blocks are kept apart: they weigh nothing and are never evicted. A
 * block may be pinned before it is cached: it is then indexed pinned when it is added.
 *
 * <p>(Caffeine's W-TinyLFU, used before, admits a new block only if it was seen more often than the one it would
 * replace; in a read of distinct blocks every block is seen once, so it kept the first blocks read and turned the
 * last ones away: of 200 MiB of 64 KiB blocks through a 55 MiB cache, 10 of the last 640 stayed.)
 *
 * <p>The bound can be lowered at run time ({@link #setMaxBytes}, when the cache's disk is full). Evictions are told
 * to the listener synchronously, under the index's lock, so the LMDB delete it queues is ordered before any refetch
 * of the block (a refetch needs the miss the eviction causes). Thread-safe (one lock); every operation is O(1) but
 * the evictions it causes.
 */
final class BlockIndex {
  /** Share of the bound the protected segment may hold. */
  static final int PROTECTED_PERCENT = 80;

  /** Told of every block evicted to keep the bound (not of blocks removed by {@link #remove}). */
  interface EvictionListener {
    void evicted(BlockId id, int length);
  }

  private final ReentrantLock lock = new ReentrantLock();
  /** Both segments in order of last use, least recent first. */
  private final LinkedHashMap<BlockId, Integer> probation = new LinkedHashMap<>();
  private final LinkedHashMap<BlockId, Integer> protectedSegment = new LinkedHashMap<>();
  /** Ids to keep, cached or not. */
  private final Set<BlockId> pins;
  /** The cached ones among them. */
  private final Map<BlockId, Integer> pinned = new HashMap<>();
  private final EvictionListener listener;
  private long maxBytes;
  private long probationBytes;
  private long protectedBytes;
  private long pinnedBytes;

  /** @param pins ids pinned from the start (cached or not) */
  BlockIndex(long maxBytes, Set<BlockId> pins, EvictionListener listener) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.pins = new HashSet<>(pins);
    this.listener = listener;
  }

  /** True if the block is indexed; counts as a use (moves it as the policy says). */
  boolean touch(BlockId id) {
    lock.lock();
    try {
      if (pinned.containsKey(id)) {
        return true;
      }
      Integer length = protectedSegment.remove(id);
      if (length != null) {
        protectedSegment.put(id, length);
        return true;
      }
      length = probation.remove(id);
      if (length == null) {
        return false;
      }
      probationBytes -= length;
      protectedSegment.put(id, length);
      protectedBytes += length;
      long protectedMax = maxBytes / 100 * PROTECTED_PERCENT;
      for (Iterator<Map.Entry<BlockId, Integer>> it = protectedSegment.entrySet().iterator();
          protectedBytes > protectedMax && it.hasNext(); ) {
        Map.Entry<BlockId, Integer> oldest = it.next();
        if (oldest.getKey().equals(id)) {
          break; // the block just used stays protected even when it alone exceeds the share
        }
        it.remove();
        protectedBytes -= oldest.getValue();
        probation.put(oldest.getKey(), oldest.getValue());
        probationBytes += oldest.getValue();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** True if the block is indexed; not a use. */
  boolean contains(BlockId id) {
    lock.lock();
    try {
      return pinned.containsKey(id) || probation.containsKey(id) || protectedSegment.containsKey(id);
    } finally {
      lock.unlock();
    }
  }

  /** Indexes a block (pinned if it is), nothing changes if it already is; then evicts down to the bound. */
  void add(BlockId id, int length) {
    lock.lock();
    try {
      if (pinned.containsKey(id) || probation.containsKey(id) || protectedSegment.containsKey(id)) {
        return;
      }
      if (pins.contains(id)) {
        pinned.put(id, length);
        pinnedBytes += length;
      } else {
        probation.put(id, length);
        probationBytes += length;
        evictToBound();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Forgets a block without telling the listener; true if it was indexed. */
  boolean remove(BlockId id) {
    lock.lock();
    try {
      Integer length = pinned.remove(id);
      if (length != null) {
        pinnedBytes -= length;
        return true;
      }
      length = protectedSegment.remove(id);
      if (length != null) {
        protectedBytes -= length;
        return true;
      }
      length = probation.remove(id);
      if (length != null) {
        probationBytes -= length;
        return true;
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Keeps {@code id} out of the bound, now if it is cached and whenever it is added later. */
  void pin(BlockId id) {
    lock.lock();
    try {
      pins.add(id);
      Integer length = protectedSegment.remove(id);
      if (length != null) {
        protectedBytes -= length;
      } else if ((length = probation.remove(id)) != null) {
        probationBytes -= length;
      } else {
        return;
      }
      pinned.put(id, length);
      pinnedBytes += length;
    } finally {
      lock.unlock();
    }
  }

  /** Makes a pinned block evictable again, as the most recent of probation, then evicts down to the bound. */
  void unpin(BlockId id) {
    lock.lock();
    try {
      pins.remove(id);
      Integer length = pinned.remove(id);
      if (length == null) {
        return;
      }
      pinnedBytes -= length;
      probation.put(id, length);
      probationBytes += length;
      evictToBound();
    } finally {
      lock.unlock();
    }
  }

  /** Sets the bound and evicts down to it. */
  void setMaxBytes(long newMaxBytes) {
    if (newMaxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative: " + newMaxBytes);
    }
    lock.lock();
    try {
      maxBytes = newMaxBytes;
      evictToBound();
    } finally {
      lock.unlock();
    }
  }

  boolean isPinned(BlockId id) {
    lock.lock();
    try {
      return pins.contains(id);
    } finally {
      lock.unlock();
    }
  }

  long maxBytes() {
    lock.lock();
    try {
      return maxBytes;
    } finally {
      lock.unlock();
    }
  }

  /** Bytes counted against the bound (pinned blocks are not). */
  long weightedBytes() {
    lock.lock();
    try {
      return probationBytes + protectedBytes;
    } finally {
      lock.unlock();
    }
  }

  long pinnedBytes() {
    lock.lock();
    try {
      return pinnedBytes;
    } finally {
      lock.unlock();
    }
  }

  /** Blocks indexed, pinned ones included. */
  long entries() {
    lock.lock();
    try {
      return pinned.size() + probation.size() + protectedSegment.size();
    } finally {
      lock.unlock();
    }
  }

  /** Called holding the lock. */
  private void evictToBound() {
    while (probationBytes + protectedBytes > maxBytes) {
      LinkedHashMap<BlockId, Integer> from = probation.isEmpty() ? protectedSegment : probation;
      Iterator<Map.Entry<BlockId, Integer>> it = from.entrySet().iterator();
      Map.Entry<BlockId, Integer> victim = it.next();
      it.remove();
      if (from == probation) {
        probationBytes -= victim.getValue();
      } else {
        protectedBytes -= victim.getValue();
      }
      listener.evicted(victim.getKey(), victim.getValue());
    }
  }
}
