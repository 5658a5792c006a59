package dev.outpost.protocol.codec;

import dev.outpost.core.BlockId;
import dev.outpost.core.BlockRef;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.PathChange;
import dev.outpost.protocol.SnapshotInfo;
import io.netty.buffer.ByteBuf;

/**
 * Wire forms of the value records and the stable wire numbers of the enums. Enum numbers are fixed here, not
 * taken from {@code ordinal()}, so reordering a Java enum cannot change the wire.
 */
final class ValueCodecs {
  /** i64 inode, u8 type, u16 mode, i64 size, i64 mtime, i64 version, optional root, string link target. */
  static final int MIN_FILE_ATTR_BYTES = 8 + 1 + 2 + 8 + 8 + 8 + 1 + 2;
  /** A name of at least one byte, then the attributes. */
  static final int MIN_DIR_ENTRY_BYTES = 2 + 1 + MIN_FILE_ATTR_BYTES;
  static final int MIN_SNAPSHOT_INFO_BYTES = 2 + 1 + 8 + 8;
  static final int BLOCK_REF_BYTES = BlockId.BYTES + 4;
  /** string path "/", u8 mode, u8 subtree, i64 token, string holder "", i64 expiresAt, u8 recalled. */
  static final int MIN_LEASE_INFO_BYTES = 2 + 1 + 1 + 1 + 8 + 2 + 8 + 1;
  /** u8 kind, i64 inode, u8 type, a path of at least one byte, an empty from path. */
  static final int MIN_PATH_CHANGE_BYTES = 1 + 8 + 1 + 2 + 1 + 2;

  private ValueCodecs() {}

  static void fileAttr(ByteBuf out, FileAttr a) {
    BodyWriter.i64(out, a.inode());
    BodyWriter.u8(out, fileType(a.type()));
    BodyWriter.u16(out, a.mode());
    BodyWriter.i64(out, a.size());
    BodyWriter.i64(out, a.mtimeMillis());
    BodyWriter.i64(out, a.version());
    BodyWriter.optional(out, a.root(), BodyWriter::rootRef);
    BodyWriter.string(out, a.linkTarget());
  }

  static FileAttr fileAttr(BodyReader in) {
    return new FileAttr(in.i64(), fileType(in, in.u8()), in.u16(), in.i64(), in.i64(), in.i64(),
        in.optional(BodyReader::rootRef), in.string());
  }

  /** u64 originator, u64 seq: the end of every mutation's body. */
  static void operationId(ByteBuf out, OperationId op) {
    BodyWriter.i64(out, op.originator());
    BodyWriter.i64(out, op.seq());
  }

  static OperationId operationId(BodyReader in) {
    return new OperationId(in.i64(), in.i64());
  }

  static void dirEntry(ByteBuf out, DirEntry e) {
    BodyWriter.string(out, e.name());
    fileAttr(out, e.attr());
  }

  static DirEntry dirEntry(BodyReader in) {
    return new DirEntry(in.string(), fileAttr(in));
  }

  static void snapshotInfo(ByteBuf out, SnapshotInfo s) {
    BodyWriter.string(out, s.name());
    BodyWriter.i64(out, s.seq());
    BodyWriter.i64(out, s.createdAtMillis());
  }

  static SnapshotInfo snapshotInfo(BodyReader in) {
    return new SnapshotInfo(in.string(), in.i64(), in.i64());
  }

  static void leaseInfo(ByteBuf out, LeaseInfo l) {
    BodyWriter.string(out, l.path());
    BodyWriter.u8(out, leaseMode(l.mode()));
    BodyWriter.bool(out, l.subtree());
    BodyWriter.i64(out, l.token());
    BodyWriter.string(out, l.holder());
    BodyWriter.i64(out, l.expiresAtMillis());
    BodyWriter.bool(out, l.recalled());
  }

  static LeaseInfo leaseInfo(BodyReader in) {
    return new LeaseInfo(in.string(), leaseMode(in, in.u8()), in.bool(), in.i64(), in.string(), in.i64(), in.bool());
  }

  static void blockRef(ByteBuf out, BlockRef r) {
    BodyWriter.blockId(out, r.id());
    BodyWriter.i32(out, r.cipherLength());
  }

  static BlockRef blockRef(BodyReader in) {
    // A u32 above Integer.MAX_VALUE reads as negative and fails BlockRef's range check.
    return new BlockRef(in.blockId(), in.i32());
  }

  /** u8 kind, i64 inode, u8 type, string path, string fromPath ({@link dev.outpost.protocol.PathChanges#wireBytes}). */
  static void pathChange(ByteBuf out, PathChange c) {
    BodyWriter.u8(out, changeKind(c.kind()));
    BodyWriter.i64(out, c.inode());
    BodyWriter.u8(out, fileType(c.type()));
    BodyWriter.string(out, c.path());
    BodyWriter.string(out, c.fromPath());
  }

  static PathChange pathChange(BodyReader in) {
    return new PathChange(changeKind(in, in.u8()), in.i64(), fileType(in, in.u8()), in.string(), in.string());
  }

  static int fileType(FileType t) {
    return switch (t) {
      case FILE -> 1;
      case DIRECTORY -> 2;
      case SYMLINK -> 3;
    };
  }

  static FileType fileType(BodyReader in, int wire) {
    return switch (wire) {
      case 1 -> FileType.FILE;
      case 2 -> FileType.DIRECTORY;
      case 3 -> FileType.SYMLINK;
      default -> throw in.malformed("unknown file type " + wire);
    };
  }

  static int leaseMode(LeaseMode m) {
    return switch (m) {
      case EXCLUSIVE -> 1;
      case SHARED -> 2;
    };
  }

  static LeaseMode leaseMode(BodyReader in, int wire) {
    return switch (wire) {
      case 1 -> LeaseMode.EXCLUSIVE;
      case 2 -> LeaseMode.SHARED;
      default -> throw in.malformed("unknown lease mode " + wire);
    };
  }

  static int changeKind(ChangeKind k) {
    return switch (k) {
      case CREATED -> 1;
      case MODIFIED -> 2;
      case ATTRS -> 3;
      case REMOVED -> 4;
      case RENAMED -> 5;
    };
  }

  static ChangeKind changeKind(BodyReader in, int wire) {
    return switch (wire) {
      case 1 -> ChangeKind.CREATED;
      case 2 -> ChangeKind.MODIFIED;
      case 3 -> ChangeKind.ATTRS;
      case 4 -> ChangeKind.REMOVED;
      case 5 -> ChangeKind.RENAMED;
      default -> throw in.malformed("unknown change kind " + wire);
    };
  }
}
