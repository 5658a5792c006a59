package dev.outpost.protocol.codec;

import dev.outpost.core.BlockRef;
import static dev.outpost.protocol.codec.BodyWriter.string;

import dev.outpost.protocol.BlockRefs;
import dev.outpost.protocol.DiffBlocks;
import dev.outpost.protocol.DiffPaths;
import dev.outpost.protocol.ListBlocks;
import dev.outpost.protocol.PathChanges;
import dev.outpost.protocol.SnapshotCreate;
import dev.outpost.protocol.SnapshotDelete;
import dev.outpost.protocol.SnapshotList;
import dev.outpost.protocol.Snapshots;

/** Snapshots, block enumeration and the differences between two trees. */
final class SnapshotCodecs {
  private SnapshotCodecs() {}

  static final BodyCodec<SnapshotList> SNAPSHOT_LIST = BodyCodec.empty(new SnapshotList());

  /** list of SnapshotInfo (string name, i64 seq, i64 createdAtMillis). */
  static final BodyCodec<Snapshots> SNAPSHOTS = BodyCodec.of(
      (m, out) -> BodyWriter.list(out, m.snapshots(), ValueCodecs::snapshotInfo),
      in -> new Snapshots(in.list(ValueCodecs.MIN_SNAPSHOT_INFO_BYTES, ValueCodecs::snapshotInfo)));

  static final BodyCodec<SnapshotCreate> SNAPSHOT_CREATE =
      BodyCodec.of((m, out) -> string(out, m.name()), in -> new SnapshotCreate(in.string()));

  static final BodyCodec<SnapshotDelete> SNAPSHOT_DELETE =
      BodyCodec.of((m, out) -> string(out, m.name()), in -> new SnapshotDelete(in.string()));

  /** string snapshot, string prefix. */
  static final BodyCodec<ListBlocks> LIST_BLOCKS = BodyCodec.of((m, out) -> {
    string(out, m.snapshot());
    string(out, m.prefix());
  }, in -> new ListBlocks(in.string(), in.string()));

  /** list of BlockRef (BlockId, u32 cipherLength). */
  static final BodyCodec<BlockRefs> BLOCK_REFS = BodyCodec.of(
      (m, out) -> BodyWriter.list(out, m.refs(), ValueCodecs::blockRef),
      in -> new BlockRefs(in.list(ValueCodecs.BLOCK_REF_BYTES, ValueCodecs::blockRef)));

  /** string base, string target, string prefix. */
  static final BodyCodec<DiffBlocks> DIFF_BLOCKS = BodyCodec.of((m, out) -> {
    string(out, m.base());
    string(out, m.target());
    string(out, m.prefix());
  }, in -> new DiffBlocks(in.string(), in.string(), in.string()));

  /** string base, string target, string prefix. */
  static final BodyCodec<DiffPaths> DIFF_PATHS = BodyCodec.of((m, out) -> {
    string(out, m.base());
    string(out, m.target());
    string(out, m.prefix());
  }, in -> new DiffPaths(in.string(), in.string(), in.string()));

  /** list of PathChange (u8 kind, i64 inode, u8 type, string path, string fromPath). */
  static final BodyCodec<PathChanges> PATH_CHANGES = BodyCodec.of(
      (m, out) -> BodyWriter.list(out, m.changes(), ValueCodecs::pathChange),
      in -> new PathChanges(in.list(ValueCodecs.MIN_PATH_CHANGE_BYTES, ValueCodecs::pathChange)));
}
