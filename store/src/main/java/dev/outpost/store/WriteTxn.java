package dev.outpost.store;

import java.util.function.Supplier;
import org.lmdbjava.Env;

/**
 * A write transaction: sees its own changes; they become visible to others, all at once, when the callback
 * of {@link LmdbStorage#write} returns normally, and are discarded if it throws.
 *
 * <p>Warning: as for {@link ReadTxn}, valid only inside the callback, on its thread. The callback may run
 * more than once (after the map grows), so it must have no effects outside the transaction.
 */
public final class WriteTxn extends ReadTxn {
  private boolean mapFull;

  WriteTxn(LmdbStorage storage, org.lmdbjava.Txn<java.nio.ByteBuffer> txn, Scratch scratch) {
    super(storage, txn, scratch);
  }

  /**
   * Runs a change, noting a full map. LMDB leaves the transaction unusable after MDB_MAP_FULL, so the
   * storage must grow and retry even if the callback caught the exception and carried on.
   */
  <R> R mutate(Supplier<R> change) {
    try {
      return change.get();
    } catch (Env.MapFullException e) {
      mapFull = true;
      throw e;
    }
  }

  boolean hitMapFull() {
    return mapFull;
  }
}
