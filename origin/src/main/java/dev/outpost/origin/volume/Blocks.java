package dev.outpost.origin.volume;

import dev.outpost.core.BlockId;
import dev.outpost.core.BlockRef;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.BlockIds;
import dev.outpost.crypto.IndexBlock;
import dev.outpost.origin.volume.Volume.VerifiedBlock;
import dev.outpost.store.BlockStore;
import dev.outpost.store.BlockStoreStats;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.Table;
import dev.outpost.store.WriteTxn;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ciphertext blocks: block store {@code blocks} and table {@code block-touch} (block id → last put,
 * has-blocks or commit time, for GC's grace period), and the walks of file trees through index blocks'
 * public parts ({@link BlockTrees}).
 *
 * <p>Thread-safe: each call is its own short transaction unless it takes the caller's.
 */
final class Blocks {
  /** Most block references one {@link #list} batch holds. */
  static final int MAX_LIST_BATCH = 65_536;

  private static final Logger log = LoggerFactory.getLogger(Blocks.class);

  final BlockStore store;
  final Table<BlockId, Long> touches;
  final BlockTrees trees;
  private final LmdbStorage storage;
  private final Clock clock;

  Blocks(LmdbStorage storage, Clock clock) {
    this.storage = storage;
    this.clock = clock;
    this.touches = storage.table("block-touch", Codecs.BLOCK_ID, Codecs.LONG);
    this.store = storage.blockStore("blocks");
    this.trees = new BlockTrees(store);
  }

  long nowMillis() {
    return clock.millis();
  }

  VerifiedBlock verify(BlockId id, ByteBuffer cipher) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(cipher, "cipher");
    int length = cipher.remaining();
    if (length < BlockFormat.MIN_CIPHER_BYTES || length > BlockFormat.MAX_CIPHER_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "block " + id + " is " + length + " bytes, allowed "
          + BlockFormat.MIN_CIPHER_BYTES + ".." + BlockFormat.MAX_CIPHER_BYTES);
    }
    byte type = cipher.get(cipher.position());
    if (type == BlockFormat.INDEX) {
      byte[] bytes = new byte[length];
      cipher.duplicate().get(bytes);
      try {
        IndexBlock.readPublic(bytes);
      } catch (OutpostException e) {
        throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "block " + id + ": " + e.getMessage(), e);
      }
    } else if (type != BlockFormat.DATA_RAW && type != BlockFormat.DATA_ZSTD) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "block " + id + " has unknown type byte " + type);
    }
    BlockIds.verify(id, cipher);
    return new VerifiedBlock(id, cipher.duplicate());
  }

  int put(List<VerifiedBlock> batch, Collection<BlockId> touch) {
    Objects.requireNonNull(batch, "batch");
    Objects.requireNonNull(touch, "touch");
    if (batch.isEmpty() && touch.isEmpty()) {
      return 0;
    }
    long now = clock.millis();
    return storage.write(txn -> {
      int added = 0;
      for (VerifiedBlock b : batch) {
        if (store.put(txn, b.id(), b.cipher())) {
          added++;
        }
        touches.put(txn, b.id(), now);
      }
      for (BlockId id : touch) {
        // A block collected since it was reported present gets no touch row: the commit will name it missing.
        if (store.contains(txn, id)) {
          touches.put(txn, id, now);
        }
      }
      return added;
    });
  }

  List<BlockId> missing(Collection<BlockId> ids) {
    LinkedHashSet<BlockId> distinct = distinctIds(ids);
    long now = clock.millis();
    return storage.write(txn -> {
      List<BlockId> absent = new ArrayList<>();
      for (BlockId id : distinct) {
        if (store.contains(txn, id)) {
          touches.put(txn, id, now);
        } else {
          absent.add(id);
        }
      }
      return absent;
    });
  }

  List<BlockId> absent(Collection<BlockId> ids) {
    LinkedHashSet<BlockId> distinct = distinctIds(ids);
    return storage.read(txn -> {
      List<BlockId> absent = new ArrayList<>();
      for (BlockId id : distinct) {
        if (!store.contains(txn, id)) {
          absent.add(id);
        }
      }
      return absent;
    });
  }

  boolean contains(ReadTxn txn, BlockId id) {
    return store.contains(txn, id);
  }

  /** Restarts {@code id}'s grace period in the caller's transaction. */
  void touch(WriteTxn txn, BlockId id, long atMillis) {
    touches.put(txn, id, atMillis);
  }

  Optional<ByteBuf> get(BlockId id, ByteBufAllocator alloc) {
    return store.get(id, alloc);
  }

  BlockStoreStats stats() {
    return store.stats();
  }

  /**
   * Every block of {@code roots}' trees, each once, in batches handed to {@code sink}; runs outside any
   * transaction (each index block is read in its own).
   */
  void list(List<RootRef> roots, int batchSize, Consumer<List<BlockRef>> sink) {
    Set<BlockId> seen = new HashSet<>();
    List<BlockRef> batch = new ArrayList<>(Math.min(batchSize, 1024));
    for (RootRef root : roots) {
      trees.walk(root, seen, new BlockTrees.Visitor() {
        @Override
        public void block(BlockId id, int cipherLength, int level) {
          batch.add(new BlockRef(id, cipherLength));
          if (batch.size() == batchSize) {
            sink.accept(List.copyOf(batch));
            batch.clear();
          }
        }

        @Override
        public void missingIndex(BlockId id, int level) {
          log.warn("listBlocks: index block {} is missing; its subtree is not listed (run fsck)", id.hex());
        }

        @Override
        public void corruptIndex(BlockId id, int level, OutpostException why) {
          log.warn("listBlocks: {}; its subtree is not listed (run fsck)", why.getMessage());
        }
      });
    }
    if (!batch.isEmpty()) {
      sink.accept(List.copyOf(batch));
    }
  }

  static void checkListBatch(int batchSize) {
    if (batchSize < 1 || batchSize > MAX_LIST_BATCH) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "batch size " + batchSize + " outside 1.." + MAX_LIST_BATCH);
    }
  }

  private static LinkedHashSet<BlockId> distinctIds(Collection<BlockId> ids) {
    Objects.requireNonNull(ids, "ids");
    LinkedHashSet<BlockId> distinct = new LinkedHashSet<>(ids);
    if (distinct.contains(null)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "null block id");
    }
    return distinct;
  }
}
