package dev.outpost.proxy.writeback;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.store.BlockStore;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.StorageConfig;
import dev.outpost.store.Table;
import dev.outpost.store.WriteTxn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * The write-back log's own durable LMDB environment ({@code <cache dir>/writeback}: every commit is synced, unlike
 * the block cache's) and its tables; the layout is drawn in proxy/README.md ("Write-back log").
 *
 * <ul>
 *   <li>{@code log}: seq → {@link LogRecord}, replayed in seq order;
 *   <li>{@code overlay}: path → {@link OverlayRow}, the branch's view of the paths the log changes;
 *   <li>{@code blocks}: block id → ciphertext uploaded while logging, until no operation needs it;
 *   <li>{@code client-ops}: (client originator, seq) → the reply given, so a resend is answered, not applied again;
 *   <li>{@code conflicts}: seq → {@link ConflictRecord};
 *   <li>{@code inode-ranges}: first → end, inode numbers reserved at the origin for new entries;
 *   <li>{@code meta}: this proxy's originator, the next seq and the log's byte count.
 * </ul>
 *
 * <p>The directory holds clients' access tokens (needed to replay as them), so it is made 0700.
 */
final class WriteBackStore implements AutoCloseable {
  static final String DIRECTORY = "writeback";
  static final String META_ORIGINATOR = "originator";
  static final String META_NEXT_SEQ = "next-seq";
  static final String META_LOG_BYTES = "log-bytes";

  final LmdbStorage storage;
  final Table<Long, LogRecord> log;
  final Table<String, OverlayRow> overlay;
  final BlockStore blocks;
  final Table<StoredForms.ClientOpKey, StoredForms.ClientOp> clientOps;
  final Table<Long, ConflictRecord> conflicts;
  final Table<Long, Long> inodeRanges;
  final Table<String, Long> meta;

  private WriteBackStore(LmdbStorage storage) {
    this.storage = storage;
    this.log = storage.table("log", Codecs.SORTABLE_LONG, StoredForms.LOG_RECORD);
    this.overlay = storage.table("overlay", Codecs.UTF8, StoredForms.OVERLAY_ROW);
    this.blocks = storage.blockStore("blocks");
    this.clientOps = storage.table("client-ops", StoredForms.CLIENT_OP_KEY, StoredForms.CLIENT_OP);
    this.conflicts = storage.table("conflicts", Codecs.SORTABLE_LONG, StoredForms.CONFLICT);
    this.inodeRanges = storage.table("inode-ranges", Codecs.SORTABLE_LONG, Codecs.LONG);
    this.meta = storage.table("meta", Codecs.UTF8, Codecs.LONG);
  }

  /**
   * Opens (creating) the environment under {@code cacheDir}; a new one gets a random non-zero originator.
   *
   * @param maxMapBytes the LMDB map's limit (the log's own bounds are checked before each write)
   */
  static WriteBackStore open(Path cacheDir, long maxMapBytes) {
    Path dir = cacheDir.resolve(DIRECTORY);
    try {
      Files.createDirectories(dir);
      if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      }
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot create the write-back directory " + dir + ": "
          + e.getMessage(), e);
    }
    long initial = Math.min(maxMapBytes, 16L << 20);
    LmdbStorage storage = LmdbStorage.open(dir, new StorageConfig(initial, maxMapBytes, 126, true));
    try {
      WriteBackStore s = new WriteBackStore(storage);
      storage.write(txn -> {
        if (s.meta.get(txn, META_ORIGINATOR).isEmpty()) {
          long originator = 0;
          SecureRandom random = new SecureRandom();
          while (originator == 0) {
            originator = random.nextLong();
          }
          s.meta.put(txn, META_ORIGINATOR, originator);
          s.meta.put(txn, META_NEXT_SEQ, 1L);
          s.meta.put(txn, META_LOG_BYTES, 0L);
        }
        return null;
      });
      return s;
    } catch (RuntimeException e) {
      storage.close();
      throw e;
    }
  }

  long meta(ReadTxn txn, String key) {
    Optional<Long> v = meta.get(txn, key);
    return v.orElseThrow(() -> new OutpostException(ErrorCode.INTERNAL, "write-back meta '" + key + "' is missing"));
  }

  void putMeta(WriteTxn txn, String key, long value) {
    meta.put(txn, key, value);
  }

  /** Bytes a record takes in the log (what {@code writeBack.maxLogBytes} bounds). */
  static long size(LogRecord r) {
    return StoredForms.LOG_RECORD.encode(r).length;
  }

  @Override
  public void close() {
    storage.close();
  }
}
