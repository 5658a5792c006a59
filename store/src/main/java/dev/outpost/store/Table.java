package dev.outpost.store;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.GetOp;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;

/**
 * A named LMDB database of typed keys and values, sorted by the unsigned bytes of the encoded keys (so by
 * key value for the order-preserving codecs of {@link Codecs}). Obtained from {@link LmdbStorage#table};
 * every operation runs inside a transaction of that storage.
 *
 * <p>Values returned are decoded copies; nothing returned refers to LMDB memory. Scans decode one entry at
 * a time and never materialise the table.
 *
 * <p>Thread-safe (the table holds no mutable state); transactions are not.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class Table<K, V> {
  /** Direction of a scan. */
  public enum Direction {
    /** Ascending keys. */
    FORWARD,
    /** Descending keys. */
    REVERSE
  }

  /** Receives scanned entries; returns {@code false} to stop the scan. */
  @FunctionalInterface
  public interface EntryVisitor<K, V> {
    boolean visit(K key, V value);
  }

  /** A key and its value. */
  public record Entry<K, V>(K key, V value) {}

  private final LmdbStorage storage;
  private final String name;
  private final Dbi<ByteBuffer> dbi;
  private final Codec<K> keys;
  private final Codec<V> values;

  Table(LmdbStorage storage, String name, Dbi<ByteBuffer> dbi, Codec<K> keys, Codec<V> values) {
    this.storage = storage;
    this.name = name;
    this.dbi = dbi;
    this.keys = keys;
    this.values = values;
  }

  public String name() {
    return name;
  }

  public Optional<V> get(ReadTxn txn, K key) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    ByteBuffer found = dbi.get(lmdb, txn.key(keys, Objects.requireNonNull(key, "key")));
    return found == null ? Optional.empty() : Optional.of(decode(values, found, "value"));
  }

  public boolean contains(ReadTxn txn, K key) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    return dbi.get(lmdb, txn.key(keys, Objects.requireNonNull(key, "key"))) != null;
  }

  /**
   * Stores {@code value} under {@code key}, replacing any value there.
   *
   * @throws OutpostException INVALID_ARGUMENT if the key is empty or longer than LMDB's key limit (511
   *     bytes), or the value is longer than 64 MiB
   */
  public void put(WriteTxn txn, K key, V value) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    ByteBuffer k = txn.key(keys, Objects.requireNonNull(key, "key"));
    ByteBuffer v = txn.value(values, Objects.requireNonNull(value, "value"));
    txn.mutate(() -> dbi.put(lmdb, k, v));
  }

  /** Stores {@code value} only if {@code key} is absent; returns whether it did. */
  public boolean putIfAbsent(WriteTxn txn, K key, V value) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    ByteBuffer k = txn.key(keys, Objects.requireNonNull(key, "key"));
    ByteBuffer v = txn.value(values, Objects.requireNonNull(value, "value"));
    return txn.mutate(() -> dbi.put(lmdb, k, v, PutFlags.MDB_NOOVERWRITE));
  }

  /** Removes {@code key}; returns whether it was present. */
  public boolean delete(WriteTxn txn, K key) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    ByteBuffer k = txn.key(keys, Objects.requireNonNull(key, "key"));
    return txn.mutate(() -> dbi.delete(lmdb, k));
  }

  /** Removes every entry. */
  public void clear(WriteTxn txn) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    txn.mutate(() -> {
      dbi.drop(lmdb);
      return null;
    });
  }

  /** Number of entries, from LMDB's own statistics (no scan). */
  public long count(ReadTxn txn) {
    return dbi.stat(txn.lmdb(storage)).entries;
  }

  public Optional<Entry<K, V>> first(ReadTxn txn) {
    return edge(txn, Direction.FORWARD);
  }

  public Optional<Entry<K, V>> last(ReadTxn txn) {
    return edge(txn, Direction.REVERSE);
  }

  /** Visits every entry in {@code direction} until the visitor returns false. */
  public void scan(ReadTxn txn, Direction direction, EntryVisitor<? super K, ? super V> visitor) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    try (Cursor<ByteBuffer> cursor = dbi.openCursor(lmdb)) {
      boolean positioned = direction == Direction.FORWARD ? cursor.first() : cursor.last();
      walk(cursor, positioned, direction, null, visitor);
    }
  }

  /**
   * Visits entries starting at {@code from}: keys {@code >= from} ascending for FORWARD, keys {@code <=
   * from} descending for REVERSE, until the visitor returns false or the table ends.
   *
   * <p>Warning: do not change this table from inside the visitor; collect keys and change them after.
   */
  public void scanFrom(ReadTxn txn, K from, Direction direction, EntryVisitor<? super K, ? super V> visitor) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    ByteBuffer start = txn.key(keys, Objects.requireNonNull(from, "from"));
    byte[] startBytes = bytes(start);
    try (Cursor<ByteBuffer> cursor = dbi.openCursor(lmdb)) {
      boolean positioned = cursor.get(start, GetOp.MDB_SET_RANGE);
      if (direction == Direction.REVERSE) {
        // SET_RANGE lands on the first key >= from; going backwards we want the last key <= from.
        if (!positioned) {
          positioned = cursor.last();
        } else if (compareUnsigned(cursor.key(), startBytes) > 0) {
          positioned = cursor.prev();
        }
      }
      walk(cursor, positioned, direction, null, visitor);
    }
  }

  /**
   * Visits the entries whose encoded key starts with the encoding of {@code prefix} under {@code
   * prefixCodec}, e.g. every {@link ChildKey} of one parent with {@code Codecs.SORTABLE_LONG} and the
   * parent. Stops when the visitor returns false.
   *
   * <p>Warning: do not change this table from inside the visitor; collect keys and change them after.
   */
  public <P> void scanPrefix(ReadTxn txn, Codec<P> prefixCodec, P prefix, Direction direction,
      EntryVisitor<? super K, ? super V> visitor) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    byte[] prefixBytes = bytes(txn.key(prefixCodec, Objects.requireNonNull(prefix, "prefix")));
    try (Cursor<ByteBuffer> cursor = dbi.openCursor(lmdb)) {
      boolean positioned;
      if (direction == Direction.FORWARD) {
        positioned = cursor.get(txn.key(Codecs.BYTES, prefixBytes), GetOp.MDB_SET_RANGE);
      } else {
        // Land on the first key past every key with this prefix, then step back once.
        byte[] after = successor(prefixBytes);
        if (after == null) {
          positioned = cursor.last();
        } else {
          positioned = cursor.get(txn.key(Codecs.BYTES, after), GetOp.MDB_SET_RANGE)
              ? cursor.prev()
              : cursor.last();
        }
      }
      walk(cursor, positioned, direction, prefixBytes, visitor);
    }
  }

  @Override
  public String toString() {
    return "Table[" + name + "]";
  }

  private Optional<Entry<K, V>> edge(ReadTxn txn, Direction direction) {
    Txn<ByteBuffer> lmdb = txn.lmdb(storage);
    try (Cursor<ByteBuffer> cursor = dbi.openCursor(lmdb)) {
      boolean found = direction == Direction.FORWARD ? cursor.first() : cursor.last();
      return found ? Optional.of(new Entry<>(decode(keys, cursor.key(), "key"), decode(values, cursor.val(), "value")))
          : Optional.empty();
    }
  }

  private void walk(Cursor<ByteBuffer> cursor, boolean positioned, Direction direction, byte[] prefix,
      EntryVisitor<? super K, ? super V> visitor) {
    boolean more = positioned;
    while (more) {
      ByteBuffer key = cursor.key();
      if (prefix != null && !startsWith(key, prefix)) {
        return;
      }
      if (!visitor.visit(decode(keys, key, "key"), decode(values, cursor.val(), "value"))) {
        return;
      }
      more = direction == Direction.FORWARD ? cursor.next() : cursor.prev();
    }
  }

  private <T> T decode(Codec<T> codec, ByteBuffer stored, String what) {
    BinaryReader in = new BinaryReader(stored);
    try {
      T value = codec.read(in);
      in.expectEnd();
      return value;
    } catch (OutpostException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot decode a " + what + " of table " + name + ": "
          + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot decode a " + what + " of table " + name, e);
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  static boolean startsWith(ByteBuffer key, byte[] prefix) {
    if (key.remaining() < prefix.length) {
      return false;
    }
    int base = key.position();
    for (int i = 0; i < prefix.length; i++) {
      if (key.get(base + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  static int compareUnsigned(ByteBuffer key, byte[] other) {
    int base = key.position();
    int n = Math.min(key.remaining(), other.length);
    for (int i = 0; i < n; i++) {
      int c = Integer.compare(key.get(base + i) & 0xff, other[i] & 0xff);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(key.remaining(), other.length);
  }

  /** The smallest byte string greater than every string starting with {@code prefix}; null if none. */
  static byte[] successor(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xff) {
        byte[] next = java.util.Arrays.copyOf(prefix, i + 1);
        next[i]++;
        return next;
      }
    }
    return null;
  }
}
