package dev.outpost.origin.volume;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.origin.volume.Volume.GcReport;
import dev.outpost.store.LmdbStorage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mark and sweep of unreferenced blocks, and forgetting idle senders of operation ids and idle inode
 * reservations. One collection runs
 * at a time; commits running meanwhile are safe because they touch every block they reference.
 *
 * <p>Thread-safe.
 */
final class GarbageCollector {
  private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
  private static final int DELETE_CHUNK = 1024;

  private final LmdbStorage storage;
  private final Namespace namespace;
  private final Blocks blocks;
  private final AppliedOperations applied;
  private final Object lock = new Object();

  GarbageCollector(LmdbStorage storage, Namespace namespace, Blocks blocks, AppliedOperations applied) {
    this.storage = storage;
    this.namespace = namespace;
    this.blocks = blocks;
    this.applied = applied;
  }

  /**
   * Mark and sweep. Mark: collect the distinct roots of every tree (live and snapshots) in one read
   * transaction, then walk their index trees. Sweep: every stored block not marked whose last touch is at
   * least {@code graceMillis} before {@code nowMillis} is deleted, re-checking the touch time in the
   * deleting write transaction. Commits touch every block they reference, so a block revived by a commit
   * after the mark is never swept. Memory: one id per referenced block.
   *
   * @throws OutpostException INTERNAL (and deletes nothing) if a referenced index block is unreadable: its
   *     children are unknown, so sweeping could destroy live data
   */
  GcReport collect(long graceMillis, long nowMillis) {
    if (graceMillis < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "graceMillis must be >= 0, got " + graceMillis);
    }
    synchronized (lock) {
      Map<BlockId, RootRef> roots = storage.read(txn -> {
        Map<BlockId, RootRef> found = new HashMap<>();
        namespace.forEachRoot(txn, r -> found.putIfAbsent(r.block(), r));
        return found;
      });
      Set<BlockId> marked = new HashSet<>();
      for (RootRef root : roots.values()) {
        blocks.trees.walk(root, marked, new BlockTrees.Visitor() {
          @Override
          public void block(BlockId id, int cipherLength, int level) {}

          @Override
          public void missingIndex(BlockId id, int level) {
            log.warn("gc: referenced index block {} is missing (run fsck)", id.hex());
          }

          @Override
          public void corruptIndex(BlockId id, int level, OutpostException why) {
            throw new OutpostException(ErrorCode.INTERNAL, "gc stopped, nothing deleted: " + why.getMessage()
                + " (run fsck)", why);
          }
        });
      }
      long cutoff = nowMillis - graceMillis;
      List<BlockId> candidates = new ArrayList<>();
      blocks.store.forEachId((id, length) -> {
        if (!marked.contains(id)) {
          candidates.add(id);
        }
      });
      long freed = 0;
      long freedBytes = 0;
      for (int from = 0; from < candidates.size(); from += DELETE_CHUNK) {
        List<BlockId> chunk = candidates.subList(from, Math.min(candidates.size(), from + DELETE_CHUNK));
        long[] result = storage.write(txn -> {
          long n = 0;
          long bytes = 0;
          for (BlockId id : chunk) {
            long touched = blocks.touches.get(txn, id).orElse(Long.MIN_VALUE);
            if (touched > cutoff) {
              continue;
            }
            long before = blocks.store.stats(txn).bytes();
            if (blocks.store.delete(txn, id)) {
              n++;
              bytes += before - blocks.store.stats(txn).bytes();
            }
            blocks.touches.delete(txn, id);
          }
          return new long[] {n, bytes};
        });
        freed += result[0];
        freedBytes += result[1];
      }
      long kept = blocks.stats().count();
      long idle = applied.dropIdle(AppliedOperations.IDLE_MILLIS, nowMillis);
      long idleRanges = storage.write(txn -> namespace.reservations.dropIdle(txn, InodeReservations.IDLE_MILLIS,
          nowMillis));
      if (idleRanges > 0) {
        log.info("gc: {} inode reservations unused for 30 days dropped", idleRanges);
      }
      log.info("gc: {} roots, {} blocks referenced, {} freed ({} bytes), {} kept; {} idle senders of operation ids"
          + " forgotten", roots.size(), marked.size(), freed, freedBytes, kept, idle);
      return new GcReport(kept, freed, freedBytes, idle);
    }
  }
}
