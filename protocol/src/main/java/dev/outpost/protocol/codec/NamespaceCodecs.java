package dev.outpost.protocol.codec;

import static dev.outpost.protocol.codec.BodyWriter.bool;
import static dev.outpost.protocol.codec.BodyWriter.i64;
import static dev.outpost.protocol.codec.BodyWriter.string;
import static dev.outpost.protocol.codec.BodyWriter.u16;

import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.LinkTarget;
import dev.outpost.protocol.Lookup;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.ReadLink;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.ReserveInodes;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import io.netty.buffer.ByteBuf;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Directory tree requests and their replies. */
final class NamespaceCodecs {
  private NamespaceCodecs() {}

  /** string snapshot, string path. */
  static final BodyCodec<GetAttr> GET_ATTR = BodyCodec.of((m, out) -> {
    string(out, m.snapshot());
    string(out, m.path());
  }, in -> new GetAttr(in.string(), in.string()));

  /** string snapshot, i64 parentInode, string name. */
  static final BodyCodec<Lookup> LOOKUP = BodyCodec.of((m, out) -> {
    string(out, m.snapshot());
    i64(out, m.parentInode());
    string(out, m.name());
  }, in -> new Lookup(in.string(), in.i64(), in.string()));

  /** string snapshot, string path, string startAfter, u16 maxEntries. */
  static final BodyCodec<ReadDir> READ_DIR = BodyCodec.of((m, out) -> {
    string(out, m.snapshot());
    string(out, m.path());
    string(out, m.startAfter());
    u16(out, m.maxEntries());
  }, in -> new ReadDir(in.string(), in.string(), in.string(), in.u16()));

  /** string path, u16 mode, bool exclusive, i64 inode, i64 leaseToken, OperationId. */
  static final BodyCodec<Create> CREATE = BodyCodec.of((m, out) -> {
    string(out, m.path());
    u16(out, m.mode());
    bool(out, m.exclusive());
    i64(out, m.inode());
    mutationTail(out, m);
  }, in -> new Create(in.string(), in.u16(), in.bool(), in.i64(), in.i64(), ValueCodecs.operationId(in)));

  /** string path, u16 mode, i64 inode, i64 leaseToken, OperationId. */
  static final BodyCodec<Mkdir> MKDIR = BodyCodec.of((m, out) -> {
    string(out, m.path());
    u16(out, m.mode());
    i64(out, m.inode());
    mutationTail(out, m);
  }, in -> new Mkdir(in.string(), in.u16(), in.i64(), in.i64(), ValueCodecs.operationId(in)));

  /** string path, i64 leaseToken, OperationId. */
  static final BodyCodec<Unlink> UNLINK = BodyCodec.of((m, out) -> {
    string(out, m.path());
    mutationTail(out, m);
  }, in -> new Unlink(in.string(), in.i64(), ValueCodecs.operationId(in)));

  /** string path, i64 leaseToken, OperationId. */
  static final BodyCodec<Rmdir> RMDIR = BodyCodec.of((m, out) -> {
    string(out, m.path());
    mutationTail(out, m);
  }, in -> new Rmdir(in.string(), in.i64(), ValueCodecs.operationId(in)));

  /** string from, string to, i64 leaseToken, OperationId. */
  static final BodyCodec<Rename> RENAME = BodyCodec.of((m, out) -> {
    string(out, m.from());
    string(out, m.to());
    mutationTail(out, m);
  }, in -> new Rename(in.string(), in.string(), in.i64(), ValueCodecs.operationId(in)));

  /** string path, optional u16 mode, optional i64 mtimeMillis, optional i64 size, i64 leaseToken, OperationId. */
  static final BodyCodec<SetAttr> SET_ATTR = BodyCodec.of((m, out) -> {
    string(out, m.path());
    BodyWriter.optional(out, m.mode().isPresent() ? Optional.of(m.mode().getAsInt()) : Optional.empty(),
        BodyWriter::u16);
    BodyWriter.optional(out, box(m.mtimeMillis()), BodyWriter::i64);
    BodyWriter.optional(out, box(m.size()), BodyWriter::i64);
    mutationTail(out, m);
  }, in -> new SetAttr(in.string(),
      in.optional(BodyReader::u16).map(OptionalInt::of).orElseGet(OptionalInt::empty),
      unbox(in.optional(BodyReader::i64)),
      unbox(in.optional(BodyReader::i64)),
      in.i64(), ValueCodecs.operationId(in)));

  /** string path, string target, i64 inode, i64 leaseToken, OperationId. */
  static final BodyCodec<Symlink> SYMLINK = BodyCodec.of((m, out) -> {
    string(out, m.path());
    string(out, m.target());
    i64(out, m.inode());
    mutationTail(out, m);
  }, in -> new Symlink(in.string(), in.string(), in.i64(), in.i64(), ValueCodecs.operationId(in)));

  /** u64 originator, u32 count. */
  static final BodyCodec<ReserveInodes> RESERVE_INODES = BodyCodec.of((m, out) -> {
    i64(out, m.originator());
    BodyWriter.i32(out, m.count());
  }, in -> new ReserveInodes(in.i64(), count(in.u32())));

  /** i64 first, u32 count. */
  static final BodyCodec<InodeRange> INODE_RANGE = BodyCodec.of((m, out) -> {
    i64(out, m.first());
    BodyWriter.i32(out, m.count());
  }, in -> new InodeRange(in.i64(), count(in.u32())));

  /** string snapshot, string path. */
  static final BodyCodec<ReadLink> READ_LINK = BodyCodec.of((m, out) -> {
    string(out, m.snapshot());
    string(out, m.path());
  }, in -> new ReadLink(in.string(), in.string()));

  /** FileAttr, i64 staleSinceMillis. */
  static final BodyCodec<AttrReply> ATTR_REPLY = BodyCodec.of((m, out) -> {
    ValueCodecs.fileAttr(out, m.attr());
    i64(out, m.staleSinceMillis());
  }, in -> new AttrReply(ValueCodecs.fileAttr(in), in.i64()));

  /** list of DirEntry, bool more, i64 staleSinceMillis. */
  static final BodyCodec<DirPage> DIR_PAGE = BodyCodec.of((m, out) -> {
    BodyWriter.list(out, m.entries(), ValueCodecs::dirEntry);
    bool(out, m.more());
    i64(out, m.staleSinceMillis());
  }, in -> new DirPage(in.list(ValueCodecs.MIN_DIR_ENTRY_BYTES, ValueCodecs::dirEntry), in.bool(), in.i64()));

  /** string target, i64 staleSinceMillis. */
  static final BodyCodec<LinkTarget> LINK_TARGET = BodyCodec.of((m, out) -> {
    string(out, m.target());
    i64(out, m.staleSinceMillis());
  }, in -> new LinkTarget(in.string(), in.i64()));

  /** What every namespace mutation ends with: i64 leaseToken, u64 originator, u64 seq. */
  private static void mutationTail(ByteBuf out, Mutation m) {
    i64(out, m.leaseToken());
    ValueCodecs.operationId(out, m.op());
  }

  /** A u32 count as an int; one past int's range fails the record's own range check. */
  private static int count(long u32) {
    return (int) Math.min(u32, Integer.MAX_VALUE);
  }

  private static Optional<Long> box(OptionalLong v) {
    return v.isPresent() ? Optional.of(v.getAsLong()) : Optional.empty();
  }

  private static OptionalLong unbox(Optional<Long> v) {
    return v.map(OptionalLong::of).orElseGet(OptionalLong::empty);
  }
}
