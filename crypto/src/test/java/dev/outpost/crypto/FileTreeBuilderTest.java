package dev.outpost.crypto;

import dev.outpost.core.BlockRef;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.BlockId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class FileTreeBuilderTest {
  static final BlockSealer SEALER = new BlockSealer(Vectors.volumeKey());

  static ChildRef randomChild(Random r) {
    byte[] id = new byte[32];
    byte[] key = new byte[32];
    r.nextBytes(id);
    r.nextBytes(key);
    return new ChildRef(BlockId.of(id), 17 + r.nextInt(BlockFormat.MAX_CIPHER_BYTES - 17),
        key, 1 + r.nextInt(BlockFormat.MAX_PLAIN_BYTES));
  }

  static List<ChildRef> randomChildren(long seed, int n) {
    Random r = new Random(seed);
    List<ChildRef> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(randomChild(r));
    }
    return out;
  }

  record Built(Optional<FileRoot> root, List<SealedBlock> blocks, Map<BlockId, byte[]> store) {}

  static Built build(List<ChildRef> children) {
    List<SealedBlock> blocks = new ArrayList<>();
    Map<BlockId, byte[]> store = new HashMap<>();
    FileTreeBuilder b = new FileTreeBuilder(SEALER, s -> {
      blocks.add(s);
      store.put(s.id(), s.cipher());
    });
    children.forEach(b::add);
    return new Built(b.finish(), blocks, store);
  }

  @Property(tries = 40)
  void buildThenWalkGivesBackTheChunks(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3000) int n) {
    List<ChildRef> children = randomChildren(seed, n);
    Built built = build(children);
    FileRoot root = built.root().orElseThrow();
    assertThat(root.sizeBytes()).isEqualTo(children.stream().mapToLong(ChildRef::plainBytes).sum());
    assertThat(TreeWalk.leaves(root, built.store())).isEqualTo(children);
    for (SealedBlock s : built.blocks()) {
      List<BlockRef> pub = IndexBlock.readPublic(s.cipher());
      assertThat(pub.size()).isBetween(1, IndexBlock.MAX_CHILDREN);
    }
    if (n > 1) {
      assertThat(built.blocks().getLast().id()).isEqualTo(root.block());
      assertThat(root.depth()).isEqualTo(IndexBlock.level(built.blocks().getLast().cipher()));
    }
  }

  @Test
  void emptyFileHasNoRootAndOneChunkIsItsOwnRoot() {
    assertThat(build(List.of()).root()).isEmpty();
    ChildRef only = randomChildren(1, 1).getFirst();
    Built one = build(List.of(only));
    assertThat(one.blocks()).isEmpty();
    FileRoot root = one.root().orElseThrow();
    assertThat(root.depth()).isZero();
    assertThat(root.block()).isEqualTo(only.id());
    assertThat(root.key()).isEqualTo(only.key());
    assertThat(root.cipherLength()).isEqualTo(only.cipherLength());
  }

  @Test
  void exactlyFourChunksMakeOneIndexBlock() {
    Built b = build(randomChildren(4, 4));
    assertThat(b.blocks()).hasSize(1);
    assertThat(b.root().orElseThrow().depth()).isEqualTo(1);
    assertThat(IndexBlock.readPublic(b.blocks().getFirst().cipher())).hasSize(4);
  }

  @Test
  void groupsNeverExceedTheMaximumEvenWithoutBoundaries() {
    Random r = new Random(7);
    List<ChildRef> children = new ArrayList<>();
    while (children.size() < 1200) {
      ChildRef c = randomChild(r);
      if (!IndexBlock.isBoundary(c.id())) {
        children.add(c);
      }
    }
    Built b = build(children);
    assertThat(b.blocks().stream().filter(s -> IndexBlock.level(s.cipher()) == 1)
        .map(s -> IndexBlock.readPublic(s.cipher()).size()).toList()).containsExactly(512, 512, 176);
    assertThat(TreeWalk.leaves(b.root().orElseThrow(), b.store())).isEqualTo(children);
  }

  @Test
  void groupsHoldAtLeastFourChildrenExceptTheLast() {
    Random r = new Random(8);
    List<ChildRef> children = new ArrayList<>();
    while (children.size() < 40) {
      ChildRef c = randomChild(r);
      if (IndexBlock.isBoundary(c.id())) {
        children.add(c);
      }
    }
    Built b = build(children);
    assertThat(b.blocks().stream().filter(s -> IndexBlock.level(s.cipher()) == 1)
        .map(s -> IndexBlock.readPublic(s.cipher()).size()).toList()).containsExactly(4, 4, 4, 4, 4, 4, 4, 4, 4, 4);
  }

  @Property(tries = 15)
  void editingOneChunkChangesOneLeafAndItsAncestors(@ForAll long seed) {
    List<ChildRef> children = randomChildren(seed, 2000);
    Random r = new Random(~seed);
    int at = 500 + r.nextInt(1000);
    ChildRef replacement;
    do {
      replacement = randomChild(r);
    } while (IndexBlock.isBoundary(replacement.id()) != IndexBlock.isBoundary(children.get(at).id()));
    List<ChildRef> edited = new ArrayList<>(children);
    edited.set(at, replacement);

    Built before = build(children);
    Built after = build(edited);
    int depth = after.root().orElseThrow().depth();
    // the new leaf's id can regroup level 2 (1 in 64), which may add or drop a level at the top
    assertThat(depth).isBetween(before.root().orElseThrow().depth() - 1, before.root().orElseThrow().depth() + 1);
    Set<BlockId> old = new HashSet<>(before.store().keySet());
    Map<Integer, Integer> newPerLevel = new HashMap<>();
    for (SealedBlock s : after.blocks()) {
      if (!old.contains(s.id())) {
        newPerLevel.merge(IndexBlock.level(s.cipher()), 1, Integer::sum);
      }
    }
    assertThat(newPerLevel.get(1)).isEqualTo(1);
    for (int level = 2; level <= depth; level++) {
      // the new leaf id may itself change the grouping one level up (1 in 64): at most two blocks then
      assertThat(newPerLevel.getOrDefault(level, 0)).isBetween(1, 2);
    }
    assertThat(TreeWalk.leaves(after.root().orElseThrow(), after.store())).isEqualTo(edited);
  }

  @Test
  void insertingAChunkDoesNotShiftLaterGroups() {
    List<ChildRef> children = randomChildren(99, 2000);
    List<ChildRef> edited = new ArrayList<>(children);
    ChildRef extra;
    Random r = new Random(100);
    do {
      extra = randomChild(r);
    } while (IndexBlock.isBoundary(extra.id()));
    edited.add(700, extra);
    Set<BlockId> old = build(children).store().keySet();
    long newLeaves = build(edited).blocks().stream()
        .filter(s -> IndexBlock.level(s.cipher()) == 1 && !old.contains(s.id())).count();
    assertThat(newLeaves).isEqualTo(1);
  }

  /** A child whose id is (or is not) a group boundary. */
  static ChildRef childWithBoundary(Random r, boolean boundary, int plainBytes) {
    while (true) {
      ChildRef c = randomChild(r);
      if (IndexBlock.isBoundary(c.id()) == boundary) {
        return new ChildRef(c.id(), c.cipherLength(), c.key(), plainBytes);
      }
    }
  }

  /**
   * Runs of one child added at once build the tree that adding the child that many times builds, whatever the
   * mix of runs, singles and boundary ids; the sink sees each distinct block of a run once.
   */
  @Property(tries = 30)
  void aRunBuildsTheTreeOfItsSingleAdds(@ForAll long seed, @ForAll @IntRange(min = 1, max = 12) int runs) {
    Random r = new Random(seed);
    List<ChildRef> singles = new ArrayList<>();
    Map<BlockId, byte[]> runStore = new HashMap<>();
    List<SealedBlock> runBlocks = new ArrayList<>();
    FileTreeBuilder b = new FileTreeBuilder(SEALER, x -> {
      runBlocks.add(x);
      runStore.put(x.id(), x.cipher());
    });
    for (int i = 0; i < runs; i++) {
      ChildRef c = childWithBoundary(r, r.nextInt(4) == 0, 1 + r.nextInt(BlockFormat.MAX_PLAIN_BYTES));
      int times = switch (r.nextInt(4)) {
        case 0 -> 1 + r.nextInt(3);
        case 1 -> 1 + r.nextInt(600);
        default -> 1 + r.nextInt(8_000);
      };
      b.add(c, times);
      for (int k = 0; k < times; k++) {
        singles.add(c);
      }
    }
    FileRoot root = b.finish().orElseThrow();
    Built expected = build(singles);
    assertThat(root.block()).isEqualTo(expected.root().orElseThrow().block());
    assertThat(root.depth()).isEqualTo(expected.root().orElseThrow().depth());
    assertThat(root.sizeBytes()).isEqualTo(expected.root().orElseThrow().sizeBytes());
    assertThat(runStore.keySet()).isEqualTo(expected.store().keySet());
    assertThat(runBlocks.size()).isLessThanOrEqualTo(expected.blocks().size());
    assertThat(TreeWalk.leaves(root, runStore)).isEqualTo(singles);
  }

  @Test
  void sixteenTebibytesOfOneChunkSealAHandfulOfBlocksAndOneMoreByteIsTooLarge() {
    for (boolean boundary : new boolean[] {false, true}) {
      ChildRef zero = childWithBoundary(new Random(9), boundary, BlockFormat.MAX_PLAIN_BYTES);
      long times = BlockFormat.MAX_FILE_BYTES / BlockFormat.MAX_PLAIN_BYTES;
      List<SealedBlock> blocks = new ArrayList<>();
      FileTreeBuilder b = new FileTreeBuilder(SEALER, blocks::add);
      b.add(zero, times);
      FileRoot root = b.finish().orElseThrow();
      assertThat(root.sizeBytes()).isEqualTo(BlockFormat.MAX_FILE_BYTES);
      assertThat(blocks.size()).as("blocks sealed, boundary child: %s", boundary).isLessThan(30);
      assertThat(root.depth()).isLessThanOrEqualTo(dev.outpost.core.RootRef.MAX_DEPTH);

      FileTreeBuilder over = new FileTreeBuilder(SEALER, x -> {});
      over.add(zero, times);
      assertThatThrownBy(() -> over.add(new ChildRef(zero.id(), zero.cipherLength(), zero.key(), 1)))
          .isInstanceOfSatisfying(dev.outpost.core.OutpostException.class,
              e -> assertThat(e.code()).isEqualTo(dev.outpost.core.ErrorCode.FILE_TOO_LARGE));
      assertThatThrownBy(() -> new FileTreeBuilder(SEALER, x -> {}).add(zero, Long.MAX_VALUE))
          .isInstanceOfSatisfying(dev.outpost.core.OutpostException.class,
              e -> assertThat(e.code()).isEqualTo(dev.outpost.core.ErrorCode.FILE_TOO_LARGE));
    }
  }
}
