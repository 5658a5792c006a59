package dev.outpost.origin.volume;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.volume.TableCodecs.SnapshotRecord;
import dev.outpost.origin.volume.Volume.Mutation;
import dev.outpost.protocol.SnapshotInfo;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.Table;
import dev.outpost.store.WriteTxn;
import java.util.ArrayList;
import java.util.List;

/**
 * Snapshots ("nightly clones"): table {@code snapshots} (name → tree number, seq, time) and the counter
 * {@code next-tree}. A snapshot is a copy of the live tree's metadata under its own tree number (never of
 * blocks), and is deleted by deleting that tree's key range.
 *
 * <p>Thread-safe: each call is one transaction.
 */
final class Snapshots {
  final Table<String, SnapshotRecord> table;
  private final LmdbStorage storage;
  private final VolumeMeta meta;
  private final Journal journal;
  private final Namespace namespace;
  private final Writer writer;

  Snapshots(LmdbStorage storage, VolumeMeta meta, Journal journal, Namespace namespace, Writer writer) {
    this.table = storage.table("snapshots", Codecs.UTF8, TableCodecs.SNAPSHOT);
    this.storage = storage;
    this.meta = meta;
    this.journal = journal;
    this.namespace = namespace;
    this.writer = writer;
  }

  void initialise(WriteTxn txn) {
    meta.put(txn, VolumeMeta.NEXT_TREE, 1);
  }

  /** The tree number of {@code snapshot} ("" = live). */
  long treeOf(ReadTxn txn, String snapshot) {
    SnapshotInfo.checkName(snapshot);
    if (snapshot.isEmpty()) {
      return Namespace.LIVE_TREE;
    }
    return table.get(txn, snapshot)
        .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND, "no snapshot '" + snapshot + "'"))
        .tree();
  }

  /**
   * Copies the live tree's metadata (every inode and directory entry, no block) under a new tree number in
   * one write transaction: O(files) time and metadata space, no data copied.
   */
  Mutation<SnapshotInfo> create(String name, long nowMillis) {
    SnapshotInfo.checkName(name);
    if (name.isEmpty()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "a snapshot needs a name");
    }
    return writer.run(c -> {
      WriteTxn txn = c.txn();
      if (table.contains(txn, name)) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, "snapshot '" + name + "' already exists");
      }
      long tree = meta.get(txn, VolumeMeta.NEXT_TREE);
      meta.put(txn, VolumeMeta.NEXT_TREE, tree + 1);
      namespace.copyLiveTree(txn, tree);
      long seq = journal.currentSeq(txn);
      table.put(txn, name, new SnapshotRecord(tree, seq, nowMillis));
      return new SnapshotInfo(name, seq, nowMillis);
    });
  }

  List<SnapshotInfo> list() {
    return storage.read(txn -> {
      List<SnapshotInfo> out = new ArrayList<>();
      table.scan(txn, Table.Direction.FORWARD, (name, s) -> {
        out.add(new SnapshotInfo(name, s.seq(), s.createdAtMillis()));
        return true;
      });
      return out;
    });
  }

  /** Drops the snapshot's metadata; blocks only it referenced become collectable by the next GC. */
  void delete(String name) {
    SnapshotInfo.checkName(name);
    if (name.isEmpty()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "the live volume is not a snapshot");
    }
    storage.write(txn -> {
      SnapshotRecord s = table.get(txn, name)
          .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND, "no snapshot '" + name + "'"));
      namespace.deleteTree(txn, s.tree());
      table.delete(txn, name);
      return null;
    });
  }
}
