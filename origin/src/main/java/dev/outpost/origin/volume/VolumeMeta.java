package dev.outpost.origin.volume;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.volume.Volume.Identity;
import dev.outpost.store.BinaryReader;
import dev.outpost.store.BinaryWriter;
import dev.outpost.store.Codec;
import dev.outpost.store.Codecs;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.ReadTxn;
import dev.outpost.store.Table;
import dev.outpost.store.WriteTxn;
import java.util.Optional;

/**
 * The volume's {@code meta} table: its identity and the counters the other rooms share (next inode, journal
 * sequence and oldest retained entry, next snapshot tree).
 *
 * <p>Not thread-safe on its own: it runs inside the volume's transactions.
 */
final class VolumeMeta {
  static final String IDENTITY = "identity";
  static final String NEXT_INODE = "next-inode";
  static final String SEQ = "seq";
  static final String OLDEST_SEQ = "oldest-seq";
  static final String NEXT_TREE = "next-tree";

  private static final Codec<Identity> IDENTITY_CODEC = Codec.of(
      (id, out) -> out.writeByte(1).writeString(id.name()).writeBytes(id.volumeId()).writeLong(id.createdAtMillis()),
      in -> {
        in.readByte();
        return new Identity(in.readString(), in.readBytes(), in.readLong());
      });

  final Table<String, byte[]> table;

  VolumeMeta(LmdbStorage storage) {
    this.table = storage.table("meta", Codecs.UTF8, Codecs.BYTES);
  }

  Optional<Identity> identity(ReadTxn txn) {
    return table.get(txn, IDENTITY).map(IDENTITY_CODEC::decode);
  }

  void putIdentity(WriteTxn txn, Identity id) {
    table.put(txn, IDENTITY, IDENTITY_CODEC.encode(id));
  }

  /** @throws OutpostException INTERNAL if the counter is missing */
  long get(ReadTxn txn, String key) {
    byte[] bytes = table.get(txn, key)
        .orElseThrow(() -> new OutpostException(ErrorCode.INTERNAL, "volume meta '" + key + "' is missing"));
    return new BinaryReader(bytes).readLong();
  }

  void put(WriteTxn txn, String key, long value) {
    table.put(txn, key, new BinaryWriter(8, 8).writeLong(value).toByteArray());
  }
}
