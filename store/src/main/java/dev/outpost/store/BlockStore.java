package dev.outpost.store;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.GetOp;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Stat;
import org.lmdbjava.Txn;

/**
 * Content-addressed block storage: ciphertext keyed by its {@link BlockId}. A block is written once and
 * never changes, so {@code put} of an id already present does nothing. The number of blocks and their
 * total bytes ({@link #stats()}) are kept in the same transactions as the blocks, so they stay exact
 * across restarts and crashes.
 *
 * <p>The store does not check that a block's bytes hash to its id: hashing belongs to the crypto module,
 * and callers verify blocks from the network before storing them.
 *
 * <p>Every method without a transaction parameter runs in its own short transaction; the overloads that
 * take a {@link ReadTxn}/{@link WriteTxn} join the caller's, e.g. to delete blocks and metadata atomically.
 * Thread-safe.
 *
 * <p>Buffers: {@code put} reads the caller's buffer during the call and keeps no reference; {@link #get}
 * returns a copy the caller owns and must release; {@link #withBlock} lends LMDB's own memory for the
 * duration of a callback only.
 */
public final class BlockStore {
  /** Ids collected per read transaction by {@link #forEachId}, so no transaction stays open long. */
  static final int WALK_CHUNK = 4096;

  private final LmdbStorage storage;
  private final String name;
  private final Dbi<ByteBuffer> blocks;
  private final Table<String, BlockStoreStats> statsTable;

  BlockStore(LmdbStorage storage, String name, Dbi<ByteBuffer> blocks, Table<String, BlockStoreStats> statsTable) {
    this.storage = storage;
    this.name = name;
    this.blocks = blocks;
    this.statsTable = statsTable;
    storage.write(txn -> {
      if (!statsTable.contains(txn, name)) {
        // A new store, or one written before stats existed: count once, then keep the row current.
        statsTable.put(txn, name, recount(txn));
      }
      return null;
    });
  }

  public String name() {
    return name;
  }

  /**
   * Stores a block unless its id is already present.
   *
   * @param cipher the ciphertext: its remaining bytes are copied; its position is not moved
   * @return true if stored, false if the id was already present (nothing changes)
   * @throws OutpostException NO_SPACE if the store is full
   */
  public boolean put(BlockId id, ByteBuffer cipher) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(cipher, "cipher");
    return storage.write(txn -> put(txn, id, cipher));
  }

  /** {@link #put(BlockId, ByteBuffer)} inside the caller's transaction. */
  public boolean put(WriteTxn txn, BlockId id, ByteBuffer cipher) {
    int stored = insert(txn, id, cipher);
    if (stored < 0) {
      return false;
    }
    addStats(txn, 1, stored);
    return true;
  }

  /**
   * Stores every block of {@code writes} whose id is absent, all in one transaction: either all are stored
   * or, if anything fails, none.
   *
   * @return how many blocks were new
   * @throws OutpostException INVALID_ARGUMENT for a null element; NO_SPACE if the batch does not fit
   */
  public int putAll(List<BlockWrite> writes) {
    Objects.requireNonNull(writes, "writes");
    for (int i = 0; i < writes.size(); i++) {
      if (writes.get(i) == null) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "block write " + i + " of the batch is null");
      }
    }
    return storage.write(txn -> {
      int added = 0;
      long addedBytes = 0;
      for (BlockWrite w : writes) {
        int stored = insert(txn, w.id(), w.cipher());
        if (stored >= 0) {
          added++;
          addedBytes += stored;
        }
      }
      if (added > 0) {
        addStats(txn, added, addedBytes);
      }
      return added;
    });
  }

  /**
   * A copy of the block's ciphertext in a buffer from {@code alloc}, made inside a short read transaction.
   * The caller owns the returned buffer and must release it.
   */
  public Optional<ByteBuf> get(BlockId id, ByteBufAllocator alloc) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(alloc, "alloc");
    ByteBuf[] made = new ByteBuf[1];
    try {
      return storage.read(txn -> {
        ByteBuffer stored = find(txn, id);
        if (stored == null) {
          return Optional.empty();
        }
        int length = stored.remaining();
        ByteBuf copy = alloc.ioBuffer(length, length);
        made[0] = copy;
        copy.writeBytes(stored);
        return Optional.of(copy);
      });
    } catch (RuntimeException | Error e) {
      // The copy never reached the caller: it is still ours to release.
      if (made[0] != null) {
        made[0].release();
      }
      throw e;
    }
  }

  /**
   * Runs {@code reader} on the block's ciphertext without copying it, inside a read transaction.
   *
   * <p>Warning: the buffer is a read-only view of LMDB's memory map, valid only until {@code reader}
   * returns. Do not keep it, return it, hand it to another thread or to asynchronous I/O; copy what you
   * need. Touching it afterwards reads freed or remapped memory and can crash the JVM. Keep {@code reader}
   * short: it holds a read transaction open.
   *
   * @return the reader's result (empty if the block is absent or the reader returned null)
   */
  public <T> Optional<T> withBlock(BlockId id, Function<ByteBuffer, T> reader) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reader, "reader");
    return storage.read(txn -> {
      ByteBuffer stored = find(txn, id);
      return stored == null ? Optional.empty() : Optional.ofNullable(reader.apply(stored.asReadOnlyBuffer()));
    });
  }

  public boolean contains(BlockId id) {
    Objects.requireNonNull(id, "id");
    return storage.read(txn -> contains(txn, id));
  }

  public boolean contains(ReadTxn txn, BlockId id) {
    return find(txn, id) != null;
  }

  /** The ids of {@code ids} this store lacks, in the order given, without duplicates; one transaction. */
  public List<BlockId> missing(Collection<BlockId> ids) {
    Objects.requireNonNull(ids, "ids");
    LinkedHashSet<BlockId> distinct = new LinkedHashSet<>(ids);
    if (distinct.contains(null)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "null block id in missing()");
    }
    return storage.read(txn -> {
      List<BlockId> absent = new ArrayList<>();
      for (BlockId id : distinct) {
        if (find(txn, id) == null) {
          absent.add(id);
        }
      }
      return absent;
    });
  }

  /** Removes a block; returns whether it was present. */
  public boolean delete(BlockId id) {
    Objects.requireNonNull(id, "id");
    return storage.write(txn -> delete(txn, id));
  }

  public boolean delete(WriteTxn txn, BlockId id) {
    int removed = remove(txn, id);
    if (removed < 0) {
      return false;
    }
    addStats(txn, -1, -removed);
    return true;
  }

  /** Removes every block of {@code ids} present, in one transaction; returns how many were removed. */
  public int deleteAll(Collection<BlockId> ids) {
    Objects.requireNonNull(ids, "ids");
    LinkedHashSet<BlockId> distinct = new LinkedHashSet<>(ids);
    if (distinct.contains(null)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "null block id in deleteAll()");
    }
    return storage.write(txn -> {
      int removed = 0;
      long removedBytes = 0;
      for (BlockId id : distinct) {
        int length = remove(txn, id);
        if (length >= 0) {
          removed++;
          removedBytes += length;
        }
      }
      if (removed > 0) {
        addStats(txn, -removed, -removedBytes);
      }
      return removed;
    });
  }

  /**
   * Visits every block's id and ciphertext length in id order, reading no ciphertext: the proxy rebuilds
   * its cache index with this at start.
   *
   * <p>Ids are read in chunks of {@value #WALK_CHUNK}, each in its own short read transaction, and the
   * visitor runs outside any transaction (it may read or write this storage). Blocks added or removed
   * during the walk may or may not be visited; every block present throughout is visited exactly once.
   */
  public void forEachId(BlockVisitor visitor) {
    Objects.requireNonNull(visitor, "visitor");
    byte[] ids = new byte[WALK_CHUNK * BlockId.BYTES];
    int[] lengths = new int[WALK_CHUNK];
    byte[] after = null;
    while (true) {
      byte[] resumeAfter = after;
      int n = storage.read(txn -> readChunk(txn, resumeAfter, ids, lengths));
      for (int i = 0; i < n; i++) {
        visitor.visit(BlockId.of(ids, i * BlockId.BYTES), lengths[i]);
      }
      if (n < WALK_CHUNK) {
        return;
      }
      after = Arrays.copyOfRange(ids, (n - 1) * BlockId.BYTES, n * BlockId.BYTES);
    }
  }

  public BlockStoreStats stats() {
    return storage.read(this::stats);
  }

  public BlockStoreStats stats(ReadTxn txn) {
    return statsTable.get(txn, name).orElse(BlockStoreStats.EMPTY);
  }

  /** Number of blocks stored. */
  public long count() {
    return stats().count();
  }

  /** Total ciphertext bytes stored (values only; LMDB's own overhead is not counted). */
  public long bytes() {
    return stats().bytes();
  }

  /**
   * Bytes of LMDB pages this store's tree takes (values, keys and branch pages, each value rounded up to whole
   * pages): what its blocks cost of the data file. Compared with {@link #bytes()} it gives LMDB's overhead.
   */
  public long pageBytes() {
    return storage.read(txn -> {
      Stat st = blocks.stat(txn.lmdb(storage));
      return (st.branchPages + st.leafPages + st.overflowPages) * st.pageSize;
    });
  }

  @Override
  public String toString() {
    return "BlockStore[" + name + "]";
  }

  /** Counts blocks and bytes by walking the whole database. */
  BlockStoreStats recount(ReadTxn txn) {
    long count = 0;
    long bytes = 0;
    try (Cursor<ByteBuffer> cursor = blocks.openCursor(txn.lmdb(storage))) {
      boolean more = cursor.first();
      while (more) {
        count++;
        bytes += cursor.val().remaining();
        more = cursor.next();
      }
    }
    return new BlockStoreStats(count, bytes);
  }

  private int readChunk(ReadTxn txn, byte[] after, byte[] ids, int[] lengths) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    int n = 0;
    try (Cursor<ByteBuffer> cursor = blocks.openCursor(lmdb)) {
      boolean more;
      if (after == null) {
        more = cursor.first();
      } else {
        more = cursor.get(txn.key(Codecs.BYTES, after), GetOp.MDB_SET_RANGE);
        if (more && Table.compareUnsigned(cursor.key(), after) == 0) {
          more = cursor.next();
        }
      }
      while (more && n < WALK_CHUNK) {
        ByteBuffer key = cursor.key();
        if (key.remaining() != BlockId.BYTES) {
          throw new OutpostException(ErrorCode.INTERNAL,
              "corrupt block store " + name + ": a key of " + key.remaining() + " bytes");
        }
        key.duplicate().get(ids, n * BlockId.BYTES, BlockId.BYTES);
        lengths[n] = cursor.val().remaining();
        n++;
        more = cursor.next();
      }
    }
    return n;
  }

  /** The stored ciphertext (LMDB memory, valid until the next operation of the transaction) or null. */
  private ByteBuffer find(ReadTxn txn, BlockId id) {
    Objects.requireNonNull(id, "id");
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    return blocks.get(lmdb, txn.key(Codecs.BLOCK_ID, id));
  }

  /** Stores the block if absent; returns its length, or -1 if it was present. */
  private int insert(WriteTxn txn, BlockId id, ByteBuffer cipher) {
    Objects.requireNonNull(cipher, "cipher");
    if (find(txn, id) != null) {
      return -1;
    }
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    ByteBuffer key = txn.key(Codecs.BLOCK_ID, id);
    int length = cipher.remaining();
    // MDB_RESERVE hands us the value's place in the page: one copy, from any kind of buffer.
    ByteBuffer slot = txn.mutate(() -> blocks.reserve(lmdb, key, length, PutFlags.MDB_NOOVERWRITE));
    slot.put(cipher.duplicate());
    return length;
  }

  /** Deletes the block; returns its length, or -1 if it was absent. */
  private int remove(WriteTxn txn, BlockId id) {
    ByteBuffer stored = find(txn, id);
    if (stored == null) {
      return -1;
    }
    int length = stored.remaining();
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    ByteBuffer key = txn.key(Codecs.BLOCK_ID, id);
    txn.mutate(() -> blocks.delete(lmdb, key));
    return length;
  }

  private void addStats(WriteTxn txn, long blocksDelta, long bytesDelta) {
    statsTable.put(txn, name, stats(txn).plus(blocksDelta, bytesDelta));
  }
}
