package dev.outpost.client;

import dev.outpost.core.BlockId;
import dev.outpost.crypto.ChildRef;
import dev.outpost.crypto.IndexBlock;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Recently used index blocks, opened. A positional read descends the tree through here, so repeated reads of
 * one file fetch only data blocks. Single-flight: concurrent readers of one index block share one fetch.
 *
 * <p>Keyed by block id alone: ids name ciphertext, and a ciphertext opens (GCM tag) under one key only, the
 * one its authenticated parent holds. Bounded by entries: an opened index block is at most
 * {@link IndexBlock#MAX_CHILDREN} small entries (~50 KiB), so {@value #MAX_ENTRIES} entries stay below ~25 MiB
 * (typically ~6 MiB). Thread-safe.
 */
final class IndexCache {
  static final int MAX_ENTRIES = 512;

  private final BlockFetcher fetcher;
  private final Map<BlockId, CompletableFuture<IndexBlock.Opened>> entries =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<BlockId, CompletableFuture<IndexBlock.Opened>> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  IndexCache(BlockFetcher fetcher) {
    this.fetcher = fetcher;
  }

  /** The opened index block {@code ref} points at, fetched if not cached. */
  CompletableFuture<IndexBlock.Opened> get(ChildRef ref) {
    CompletableFuture<IndexBlock.Opened> f;
    boolean fetch = false;
    synchronized (entries) {
      f = entries.get(ref.id());
      if (f == null) {
        f = new CompletableFuture<>();
        entries.put(ref.id(), f);
        fetch = true;
      }
    }
    if (fetch) {
      byte[] key = ref.key();
      CompletableFuture<IndexBlock.Opened> target = f;
      fetcher.fetchOne(new BlockFetcher.Want<>(ref.id(), ref.cipherLength(), (ByteBuffer cipher) -> {
        byte[] bytes = new byte[cipher.remaining()];
        cipher.get(bytes);
        return IndexBlock.open(key, bytes);
      })).whenComplete((opened, err) -> {
        if (err != null) {
          synchronized (entries) {
            entries.remove(ref.id(), target);
          }
          target.completeExceptionally(err);
        } else {
          target.complete(opened);
        }
      });
    }
    return f;
  }

  /** Whether {@code id} is cached or being fetched. */
  boolean holds(BlockId id) {
    synchronized (entries) {
      return entries.containsKey(id);
    }
  }

  /** Starts fetching {@code ref} if not cached; the result is kept for a later {@link #get}. */
  void prefetch(ChildRef ref) {
    get(ref);
  }
}
