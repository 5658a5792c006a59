package dev.outpost.origin.volume;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.FileType;
import dev.outpost.store.BinaryReader;
import dev.outpost.store.Codec;
import java.util.Optional;

/**
 * Keys and records of the volume's tables. Every tree-scoped key starts with the tree number (0 = live,
 * n = snapshot n), so one tree is one contiguous key range and a snapshot is deleted by deleting its range.
 * Records start with a format byte so a later layout can be told apart.
 */
final class TableCodecs {
  private static final int FORMAT = 1;

  /** Key of an inode inside one tree. */
  record NodeKey(long tree, long inode) {}

  /** Key of a directory entry inside one tree; sorts by tree, parent, then name (UTF-8 byte order). */
  record EntryKey(long tree, long parent, String name) {}

  /** What the snapshots table holds per name. */
  record SnapshotRecord(long tree, long seq, long createdAtMillis) {}

  static final Codec<NodeKey> NODE_KEY = Codec.of(
      (k, out) -> out.writeSortableLong(k.tree()).writeSortableLong(k.inode()),
      in -> new NodeKey(in.readSortableLong(), in.readSortableLong()));

  static final Codec<EntryKey> ENTRY_KEY = Codec.of(
      (k, out) -> out.writeSortableLong(k.tree()).writeSortableLong(k.parent()).writeUtf8(k.name()),
      in -> new EntryKey(in.readSortableLong(), in.readSortableLong(), in.readUtf8Rest()));

  static final Codec<InodeRecord> INODE = Codec.of((r, out) -> {
    out.writeByte(FORMAT).writeByte(r.type().ordinal()).writeInt(r.mode()).writeLong(r.size())
        .writeLong(r.mtimeMillis()).writeLong(r.version()).writeLong(r.parent());
    out.writeBoolean(r.root().isPresent());
    r.root().ifPresent(root -> out.writeBlockId(root.block()).writeInt(root.depth()).writeInt(root.cipherLength())
        .writeBytes(root.wrappedKey()));
    out.writeString(r.linkTarget());
  }, in -> {
    format(in, "inode");
    FileType type = enumAt(FileType.values(), in.readByte(), "file type");
    int mode = in.readInt();
    long size = in.readLong();
    long mtime = in.readLong();
    long version = in.readLong();
    long parent = in.readLong();
    Optional<RootRef> root = Optional.empty();
    if (in.readBoolean()) {
      root = Optional.of(new RootRef(in.readBlockId(), in.readInt(), in.readInt(), in.readBytes()));
    }
    String link = in.readString();
    return new InodeRecord(type, mode, size, mtime, version, root, link, parent);
  });

  static final Codec<ChangeEvent> EVENT = Codec.of((e, out) -> {
    out.writeByte(FORMAT).writeLong(e.seq()).writeLong(e.inode()).writeString(e.path()).writeString(e.fromPath())
        .writeLong(e.version()).writeByte(e.kind().ordinal());
  }, in -> {
    format(in, "journal entry");
    long seq = in.readLong();
    long inode = in.readLong();
    String path = in.readString();
    String from = in.readString();
    long version = in.readLong();
    ChangeKind kind = enumAt(ChangeKind.values(), in.readByte(), "change kind");
    return new ChangeEvent(seq, inode, path, from, version, kind);
  });

  static final Codec<SnapshotRecord> SNAPSHOT = Codec.of(
      (s, out) -> out.writeByte(FORMAT).writeLong(s.tree()).writeLong(s.seq()).writeLong(s.createdAtMillis()),
      in -> {
        format(in, "snapshot");
        return new SnapshotRecord(in.readLong(), in.readLong(), in.readLong());
      });

  private TableCodecs() {}

  private static void format(BinaryReader in, String what) {
    byte f = in.readByte();
    if (f != FORMAT) {
      throw new OutpostException(ErrorCode.INTERNAL, "corrupt record: " + what + " has format " + f);
    }
  }

  private static <E> E enumAt(E[] values, byte ordinal, String what) {
    if (ordinal < 0 || ordinal >= values.length) {
      throw new OutpostException(ErrorCode.INTERNAL, "corrupt record: " + what + " " + ordinal);
    }
    return values[ordinal];
  }
}
