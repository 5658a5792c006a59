package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TableTest extends StoreTestBase {
  private LmdbStorage storage;
  private Table<Long, String> table;

  @BeforeEach
  void setUp() {
    storage = openDefault();
    table = storage.table("numbers", Codecs.SORTABLE_LONG, Codecs.UTF8);
  }

  private Optional<String> valueOf(long key) {
    return storage.read(txn -> table.get(txn, key));
  }

  private void fill(long... keys) {
    storage.write(txn -> {
      for (long k : keys) {
        table.put(txn, k, "v" + k);
      }
      return null;
    });
  }

  private List<Long> scanFrom(long from, Table.Direction direction, int limit) {
    List<Long> seen = new ArrayList<>();
    storage.read(txn -> {
      table.scanFrom(txn, from, direction, (k, v) -> {
        assertThat(v).isEqualTo("v" + k);
        seen.add(k);
        return seen.size() < limit;
      });
      return null;
    });
    return seen;
  }

  @Test
  void putGetDeleteRoundTrip() {
    storage.write(txn -> {
      table.put(txn, 7L, "seven");
      assertThat(table.get(txn, 7L)).contains("seven");
      return null;
    });
    assertThat(valueOf(7L)).contains("seven");
    assertThat(valueOf(8L)).isEmpty();
    assertThat(storage.<Boolean>write(txn -> table.delete(txn, 7L))).isTrue();
    assertThat(storage.<Boolean>write(txn -> table.delete(txn, 7L))).isFalse();
    assertThat(storage.<Boolean>read(txn -> table.contains(txn, 7L))).isFalse();
  }

  @Test
  void putReplacesButPutIfAbsentDoesNot() {
    assertThat(storage.<Boolean>write(txn -> table.putIfAbsent(txn, 1L, "first"))).isTrue();
    assertThat(storage.<Boolean>write(txn -> table.putIfAbsent(txn, 1L, "second"))).isFalse();
    assertThat(valueOf(1L)).contains("first");
    storage.write(txn -> {
      table.put(txn, 1L, "third");
      return null;
    });
    assertThat(valueOf(1L)).contains("third");
    assertThat(storage.<Long>read(txn -> table.count(txn))).isEqualTo(1);
  }

  @Test
  void firstAndLastFollowNumericOrderIncludingNegatives() {
    assertThat(storage.read(table::first)).isEmpty();
    fill(5, -3, 300, 0, -1000);
    assertThat(storage.read(table::first)).contains(new Table.Entry<>(-1000L, "v-1000"));
    assertThat(storage.read(table::last)).contains(new Table.Entry<>(300L, "v300"));
  }

  @Test
  void scanFromAKeyForwardAndReverse() {
    fill(10, 20, 30, 40);
    assertThat(scanFrom(20, Table.Direction.FORWARD, 100)).containsExactly(20L, 30L, 40L);
    assertThat(scanFrom(25, Table.Direction.FORWARD, 100)).containsExactly(30L, 40L);
    assertThat(scanFrom(41, Table.Direction.FORWARD, 100)).isEmpty();
    assertThat(scanFrom(30, Table.Direction.REVERSE, 100)).containsExactly(30L, 20L, 10L);
    assertThat(scanFrom(25, Table.Direction.REVERSE, 100)).containsExactly(20L, 10L);
    assertThat(scanFrom(99, Table.Direction.REVERSE, 100)).containsExactly(40L, 30L, 20L, 10L);
    assertThat(scanFrom(9, Table.Direction.REVERSE, 100)).isEmpty();
  }

  @Test
  void visitorStopsTheScanEarly() {
    fill(1, 2, 3, 4, 5, 6);
    assertThat(scanFrom(2, Table.Direction.FORWARD, 2)).containsExactly(2L, 3L);
    assertThat(scanFrom(6, Table.Direction.REVERSE, 1)).containsExactly(6L);
    List<Long> all = new ArrayList<>();
    storage.read(txn -> {
      table.scan(txn, Table.Direction.REVERSE, (k, v) -> all.add(k) && all.size() < 3);
      return null;
    });
    assertThat(all).containsExactly(6L, 5L, 4L);
  }

  @Test
  void prefixScanListsOneDirectoryInNameOrderBothWays() {
    Table<ChildKey, Long> dirents = storage.table("dirents", Codecs.CHILD_KEY, Codecs.LONG);
    storage.write(txn -> {
      dirents.put(txn, new ChildKey(1, "b"), 11L);
      dirents.put(txn, new ChildKey(1, "a"), 12L);
      dirents.put(txn, new ChildKey(2, "a"), 21L);
      dirents.put(txn, new ChildKey(2, "ab"), 22L);
      dirents.put(txn, new ChildKey(2, "\uD83D\uDE00"), 23L);
      dirents.put(txn, new ChildKey(2, "\uFFFD"), 24L);
      dirents.put(txn, new ChildKey(3, ""), 31L);
      return null;
    });
    List<String> forward = new ArrayList<>();
    List<String> reverse = new ArrayList<>();
    List<String> firstTwo = new ArrayList<>();
    storage.read(txn -> {
      dirents.scanPrefix(txn, Codecs.SORTABLE_LONG, 2L, Table.Direction.FORWARD, (k, v) -> forward.add(k.name()));
      dirents.scanPrefix(txn, Codecs.SORTABLE_LONG, 2L, Table.Direction.REVERSE, (k, v) -> reverse.add(k.name()));
      dirents.scanPrefix(txn, Codecs.SORTABLE_LONG, 2L, Table.Direction.FORWARD,
          (k, v) -> firstTwo.add(k.name()) && firstTwo.size() < 2);
      return null;
    });
    // Code point order: U+FFFD sorts before U+1F600 (String.compareTo would say the opposite).
    assertThat(forward).containsExactly("a", "ab", "\uFFFD", "\uD83D\uDE00");
    assertThat(reverse).containsExactly("\uD83D\uDE00", "\uFFFD", "ab", "a");
    assertThat(firstTwo).containsExactly("a", "ab");
    List<String> none = new ArrayList<>();
    storage.read(txn -> {
      dirents.scanPrefix(txn, Codecs.SORTABLE_LONG, 9L, Table.Direction.REVERSE, (k, v) -> none.add(k.name()));
      dirents.scanPrefix(txn, Codecs.SORTABLE_LONG, -9L, Table.Direction.FORWARD, (k, v) -> none.add(k.name()));
      return null;
    });
    assertThat(none).isEmpty();
  }

  @Test
  void reversePrefixScanWorksWhenThePrefixIsAllOnes() {
    Table<byte[], Long> raw = storage.table("raw", Codecs.BYTES, Codecs.LONG);
    storage.write(txn -> {
      raw.put(txn, new byte[] {(byte) 0xff, (byte) 0xff, 1}, 1L);
      raw.put(txn, new byte[] {(byte) 0xff, (byte) 0xff, 2}, 2L);
      raw.put(txn, new byte[] {(byte) 0xff, (byte) 0xfe}, 3L);
      return null;
    });
    List<Long> seen = new ArrayList<>();
    storage.read(txn -> {
      raw.scanPrefix(txn, Codecs.BYTES, new byte[] {(byte) 0xff, (byte) 0xff}, Table.Direction.REVERSE,
          (k, v) -> seen.add(v));
      return null;
    });
    assertThat(seen).containsExactly(2L, 1L);
    assertThat(Table.successor(new byte[] {1, (byte) 0xff})).containsExactly(2);
  }

  @Test
  void aThrowingWriteLeavesNothingBehind() {
    fill(1);
    assertThatThrownBy(() -> storage.write(txn -> {
      table.put(txn, 2L, "two");
      table.delete(txn, 1L);
      throw new IllegalStateException("caller bug");
    })).isInstanceOf(IllegalStateException.class).hasMessage("caller bug");
    assertThat(valueOf(1L)).contains("v1");
    assertThat(valueOf(2L)).isEmpty();
  }

  @Test
  void readersSeeTheSnapshotTheyStartedWith() {
    fill(1);
    Optional<String> seen = storage.read(txn -> {
      Optional<String> before = table.get(txn, 1L);
      // A write from another thread commits while this read is open.
      Thread writer = background("writer", () -> storage.write(w -> {
        table.put(w, 1L, "changed");
        return null;
      }));
      try {
        writer.join();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      assertThat(table.get(txn, 1L)).isEqualTo(before);
      return before;
    });
    assertThat(seen).contains("v1");
    assertThat(valueOf(1L)).contains("changed");
  }

  @Test
  void keysTooLongOrEmptyAreInvalidArguments() {
    Table<String, Long> names = storage.table("names", Codecs.UTF8, Codecs.LONG);
    assertThatThrownBy(() -> storage.write(txn -> {
      names.put(txn, "x".repeat(600), 1L);
      return null;
    })).isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("key too large");
    assertThatThrownBy(() -> storage.read(txn -> names.get(txn, "")))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("empty");
  }

  @Test
  void aTransactionCannotEscapeItsCallback() {
    ReadTxn escaped = storage.read(txn -> txn);
    assertThatThrownBy(() -> table.get(escaped, 1L))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
        .hasMessageContaining("after its callback returned");
  }

  @Test
  void aTransactionCannotBeUsedFromAnotherThread() throws InterruptedException {
    List<Throwable> failures = new ArrayList<>();
    storage.read(txn -> {
      Thread other = new Thread(() -> {
        try {
          table.get(txn, 1L);
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      other.start();
      try {
        other.join();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      return null;
    });
    assertThat(failures).singleElement().asString().contains("thread other than");
  }

  @Test
  void nestedTransactionsAreRefusedWhereLmdbCannotHonourThem() {
    assertThatThrownBy(() -> storage.write(txn -> storage.write(inner -> null)))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
        .hasMessageContaining("write called inside");
    assertThatThrownBy(() -> storage.write(txn -> storage.read(inner -> null)))
        .hasMessageContaining("read called inside a write");
    assertThatThrownBy(() -> storage.read(txn -> storage.write(inner -> null)))
        .hasMessageContaining("write called inside");
    assertThatThrownBy(() -> storage.read(txn -> {
      storage.close();
      return null;
    })).hasMessageContaining("close called inside");
    // Reads may nest: each is its own snapshot.
    assertThat(storage.<Integer>read(outer -> storage.read(inner -> 42))).isEqualTo(42);
  }

  @Test
  void aTxnOfOneStorageIsRefusedByATableOfAnother() {
    LmdbStorage other = open(dir.resolve("other"), config(1 * MIB, 8 * MIB, false));
    assertThatThrownBy(() -> other.read(txn -> table.get(txn, 1L)))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));
  }

  @Test
  void tableNamesAreCheckedAndOpenedOnce() {
    assertThatThrownBy(() -> storage.table("numbers", Codecs.LONG, Codecs.LONG))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("already open");
    assertThatThrownBy(() -> storage.table("Bad Name", Codecs.LONG, Codecs.LONG)).hasMessageContaining("must match");
    assertThatThrownBy(() -> storage.table("outpost.stats", Codecs.LONG, Codecs.LONG)).hasMessageContaining("outpost.");
    assertThatThrownBy(() -> storage.table("", Codecs.LONG, Codecs.LONG)).isInstanceOf(OutpostException.class);
  }

  @Test
  void corruptStoredValueIsAnInternalErrorNamingTheTable() {
    Table<Long, byte[]> raw = storage.table("raw", Codecs.SORTABLE_LONG, Codecs.BYTES);
    storage.write(txn -> {
      raw.put(txn, 1L, new byte[] {1, 2, 3});
      return null;
    });
    storage.close();
    LmdbStorage reopened = open(dir.resolve("store"), config(4 * MIB, 256 * MIB, false));
    Table<Long, Long> typed = reopened.table("raw", Codecs.SORTABLE_LONG, Codecs.LONG);
    assertThatThrownBy(() -> reopened.read(txn -> typed.get(txn, 1L)))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
        .hasMessageContaining("value of table raw");
  }

  @Test
  void theSameDirectoryCannotBeOpenedTwiceInOneProcess() {
    assertThatThrownBy(() -> LmdbStorage.open(dir.resolve("store"), config(1 * MIB, 8 * MIB, false)))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("already open");
  }

  @Test
  void aClosedStorageRefusesWork() {
    storage.close();
    storage.close();
    assertThatThrownBy(() -> storage.read(txn -> null))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> storage.write(txn -> null)).hasMessageContaining("closed");
  }

  @Test
  void aFileWhereTheDirectoryShouldBeIsAnInternalError() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("file"), "not a directory");
    assertThatThrownBy(() -> LmdbStorage.open(dir.resolve("file"), config(1 * MIB, 8 * MIB, false)))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));
  }
}
