package dev.outpost.store;

import java.nio.file.Path;

/**
 * Child process of {@link DurabilityTest}: writes, optionally syncs, then dies without closing anything
 * ({@code Runtime.halt} skips shutdown hooks and finalisation, like a crash).
 *
 * <p>Arguments: directory, durable (true/false), sync (true/false).
 */
public final class CrashWriter {
  static final int BLOCKS = 50;

  private CrashWriter() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    boolean durable = Boolean.parseBoolean(args[1]);
    boolean sync = Boolean.parseBoolean(args[2]);
    LmdbStorage storage = LmdbStorage.open(dir, new StorageConfig(StorageConfig.MIN_MAP_BYTES, 64L << 20, 8, durable));
    BlockStore blocks = storage.blockStore("blocks");
    Table<Long, String> table = storage.table("names", Codecs.SORTABLE_LONG, Codecs.UTF8);
    for (int i = 0; i < BLOCKS; i++) {
      BlockWrite w = StoreTestBase.blockWrite(i, 10_000);
      long key = i;
      storage.write(txn -> {
        blocks.put(txn, w.id(), w.cipher());
        table.put(txn, key, "name-" + key);
        return null;
      });
    }
    if (sync) {
      storage.sync();
    }
    System.out.println("committed " + BLOCKS);
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }
}
