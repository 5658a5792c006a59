package dev.outpost.store;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;
import org.lmdbjava.Txn;

/**
 * A read transaction: a consistent snapshot of every table of one {@link LmdbStorage}. Handed to the
 * callback of {@link LmdbStorage#read}; pass it to {@link Table} and {@link BlockStore} methods.
 *
 * <p>Warning: valid only inside the callback and only on the thread running it; any use after the callback
 * returns, or from another thread, fails with INTERNAL. Keep the callback short and never block in it (no
 * network I/O, no waiting on other threads): an open read transaction holds a reader slot, keeps the pages
 * of its snapshot from being reused, and delays map growth.
 */
public sealed class ReadTxn permits WriteTxn {
  private final LmdbStorage storage;
  private final Txn<ByteBuffer> txn;
  private final Scratch scratch;
  private final Thread owner;
  private boolean open = true;

  ReadTxn(LmdbStorage storage, Txn<ByteBuffer> txn, Scratch scratch) {
    this.storage = storage;
    this.txn = txn;
    this.scratch = scratch;
    this.owner = Thread.currentThread();
  }

  /** The lmdbjava transaction, after checking this wrapper may still be used for {@code by}. */
  final Txn<ByteBuffer> lmdb(LmdbStorage by) {
    if (!open) {
      throw new OutpostException(ErrorCode.INTERNAL, "transaction used after its callback returned");
    }
    if (Thread.currentThread() != owner) {
      throw new OutpostException(ErrorCode.INTERNAL, "transaction used from a thread other than its callback's");
    }
    if (by != storage) {
      throw new OutpostException(ErrorCode.INTERNAL, "transaction of " + storage + " used with a table of " + by);
    }
    return txn;
  }

  final <K> ByteBuffer key(Codec<K> codec, K key) {
    return scratch.key(codec, key);
  }

  final <V> ByteBuffer value(Codec<V> codec, V value) {
    return scratch.value(codec, value);
  }

  final void end() {
    open = false;
  }
}
