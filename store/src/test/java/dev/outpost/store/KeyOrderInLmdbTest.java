package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** LMDB's own key order agrees with the value order of the key codecs. */
class KeyOrderInLmdbTest {
  private static LmdbStorage storage;
  private static Table<Long, Long> longs;
  private static Table<ChildKey, Long> children;

  @BeforeContainer
  static void open() throws IOException {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Files.createDirectories(tmp);
    storage = LmdbStorage.open(Files.createTempDirectory(tmp, "key-order"), new StorageConfig(1 << 20, 64 << 20, 8, false));
    longs = storage.table("longs", Codecs.SORTABLE_LONG, Codecs.LONG);
    children = storage.table("children", Codecs.CHILD_KEY, Codecs.LONG);
  }

  @AfterContainer
  static void close() {
    storage.close();
  }

  @Provide
  Arbitrary<Set<Long>> keySets() {
    return Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.longs().between(-300, 300)).set().ofMaxSize(60);
  }

  @Provide
  Arbitrary<Set<ChildKey>> childSets() {
    Arbitrary<Long> parents = Arbitraries.longs().between(-3, 3);
    return net.jqwik.api.Combinators.combine(parents, CodecsTest.names()).as(ChildKey::new).set().ofMaxSize(60);
  }

  @Property(tries = 150)
  void longKeysComeOutOfLmdbInNumericOrder(@ForAll("keySets") Set<Long> keys) {
    storage.write(txn -> {
      longs.clear(txn);
      keys.forEach(k -> longs.put(txn, k, k));
      return null;
    });
    List<Long> expected = new ArrayList<>(keys);
    expected.sort(Comparator.naturalOrder());
    assertThat(scan(longs, Table.Direction.FORWARD)).containsExactlyElementsOf(expected);
    assertThat(scan(longs, Table.Direction.REVERSE)).containsExactlyElementsOf(expected.reversed());
  }

  @Property(tries = 150)
  void childKeysComeOutByParentThenNameAndPrefixScanListsOneParent(@ForAll("childSets") Set<ChildKey> keys) {
    storage.write(txn -> {
      children.clear(txn);
      keys.forEach(k -> children.put(txn, k, k.parent()));
      return null;
    });
    List<ChildKey> expected = new ArrayList<>(keys);
    expected.sort(Comparator.naturalOrder());
    assertThat(scan(children, Table.Direction.FORWARD)).containsExactlyElementsOf(expected);

    for (long parent = -3; parent <= 3; parent++) {
      long p = parent;
      List<ChildKey> ofParent = expected.stream().filter(k -> k.parent() == p).toList();
      List<ChildKey> forward = new ArrayList<>();
      List<ChildKey> reverse = new ArrayList<>();
      storage.read(txn -> {
        children.scanPrefix(txn, Codecs.SORTABLE_LONG, p, Table.Direction.FORWARD, (k, v) -> forward.add(k));
        children.scanPrefix(txn, Codecs.SORTABLE_LONG, p, Table.Direction.REVERSE, (k, v) -> reverse.add(k));
        return null;
      });
      assertThat(forward).containsExactlyElementsOf(ofParent);
      assertThat(reverse).containsExactlyElementsOf(ofParent.reversed());
    }
  }

  private static <K> List<K> scan(Table<K, ?> table, Table.Direction direction) {
    List<K> out = new ArrayList<>();
    storage.read(txn -> {
      table.scan(txn, direction, (k, v) -> out.add(k));
      return null;
    });
    return out;
  }
}
