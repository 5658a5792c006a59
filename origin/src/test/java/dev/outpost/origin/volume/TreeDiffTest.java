package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.BlockRef;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.VolumePath;
import dev.outpost.crypto.SealedBlock;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.PathChange;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * DIFF_PATHS and DIFF_BLOCKS against an oracle that knows nothing of the implementation: both trees walked through
 * READDIR, block sets from LIST_BLOCKS. Nothing missing, nothing extra.
 */
class TreeDiffTest extends VolumeTestBase {

  @Test
  void renamesDeletesAndEditsAreListedExactlyWithOnlyTheNewBlocks() {
    volume.mkdir("/d", 0755, T0);
    FileAttr sub = volume.mkdir("/d/sub", 0755, T0).result();
    Content big = content("big", 150); // a level-2 tree
    Content small = content("small", 3);
    Content kept = content("kept", 4);
    FileAttr bigAttr = write("/d/big", 0, big);
    write("/d/sub/small", 0, small);
    write("/d/kept", 0, kept);
    FileAttr gone = write("/d/gone", 0, content("gone", 2));
    FileAttr moved = write("/d/moved", 0, content("moved", 2));
    FileAttr attrs = write("/d/attrs", 0, content("attrs", 2));
    volume.createSnapshot("a", T0);

    Content bigEdited = content("big", 152); // appended: shares every chunk but the last two
    write("/d/big", bigAttr.version(), bigEdited);
    volume.unlink("/d/gone", T0);
    volume.rename("/d/moved", "/d/sub/moved-here", T0);
    volume.rename("/d/sub", "/d/sub2", T0); // the directory moves; small and moved-here move with it
    volume.setAttr("/d/attrs", OptionalInt.of(0600), OptionalLong.empty(), OptionalLong.empty(), T0);
    FileAttr copy = write("/d/copy-of-kept", 0, kept); // new file, no new block
    FileAttr fresh = write("/d/fresh", 0, content("fresh", 2));
    volume.createSnapshot("b", T0);

    List<PathChange> changes = volume.diffPaths("a", "b", "/");
    assertThat(changes).containsExactly(
        new PathChange(ChangeKind.ATTRS, attrs.inode(), FileType.FILE, "/d/attrs", ""),
        new PathChange(ChangeKind.MODIFIED, bigAttr.inode(), FileType.FILE, "/d/big", ""),
        new PathChange(ChangeKind.CREATED, copy.inode(), FileType.FILE, "/d/copy-of-kept", ""),
        new PathChange(ChangeKind.CREATED, fresh.inode(), FileType.FILE, "/d/fresh", ""),
        new PathChange(ChangeKind.REMOVED, gone.inode(), FileType.FILE, "/d/gone", ""),
        new PathChange(ChangeKind.RENAMED, sub.inode(), FileType.DIRECTORY, "/d/sub2", "/d/sub"),
        new PathChange(ChangeKind.RENAMED, moved.inode(), FileType.FILE, "/d/sub2/moved-here", "/d/moved"));
    assertThat(changes).isEqualTo(expectedChanges("a", "b", "/"));

    Set<BlockId> diff = diffBlocks("a", "b", "/", 1000);
    assertThat(diff).isEqualTo(expectedBlocks("a", "b", "/"));
    // The two last chunks of big, its new index path, fresh's blocks; nothing of the copy or the moves.
    assertThat(diff).doesNotContainAnyElementsOf(kept.ids()).doesNotContainAnyElementsOf(small.ids());
    assertThat(diff).contains(bigEdited.root().block());
    assertThat(diff.size()).isLessThan(10);
    assertThat(volume.diffPaths("b", "b", "/")).isEmpty();
    assertThat(diffBlocks("b", "b", "/", 5)).isEmpty();
  }

  @Test
  void aPrefixSeesMovesAcrossItsBorderAsCreationsAndRemovals() {
    volume.mkdir("/in", 0755, T0);
    volume.mkdir("/out", 0755, T0);
    volume.mkdir("/out/dir", 0755, T0);
    FileAttr f = write("/out/dir/f", 0, content("f", 3));
    FileAttr g = write("/in/g", 0, content("g", 2));
    volume.createSnapshot("a", T0);
    volume.rename("/out/dir", "/in/dir", T0);
    volume.rename("/in/g", "/out/g", T0);
    volume.createSnapshot("b", T0);

    List<PathChange> changes = volume.diffPaths("a", "b", "/in");
    assertThat(changes).contains(
        new PathChange(ChangeKind.CREATED, f.inode(), FileType.FILE, "/in/dir/f", ""),
        new PathChange(ChangeKind.REMOVED, g.inode(), FileType.FILE, "/in/g", ""));
    assertThat(changes).isEqualTo(expectedChanges("a", "b", "/in"));
    assertThat(diffBlocks("a", "b", "/in", 100)).isEqualTo(expectedBlocks("a", "b", "/in"))
        .containsAll(content("f", 3).ids());
    // Seen from the whole volume they are two renames and no block is new.
    assertThat(volume.diffPaths("a", "b", "/")).extracting(PathChange::kind)
        .containsOnly(ChangeKind.RENAMED);
    assertThat(diffBlocks("a", "b", "/", 100)).isEmpty();
  }

  @Test
  void theLiveTreeAndUnknownNamesAndPrefixes() {
    volume.mkdir("/d", 0755, T0);
    volume.createSnapshot("a", T0);
    FileAttr f = write("/d/new", 0, content("new", 2));
    assertThat(volume.diffPaths("a", "", "/")).containsExactly(
        new PathChange(ChangeKind.CREATED, f.inode(), FileType.FILE, "/d/new", ""));
    assertThat(diffBlocks("a", "", "/d", 10)).containsExactlyInAnyOrderElementsOf(content("new", 2).ids());
    // The reverse direction: what the live tree has that the snapshot lacks, nothing the other way.
    assertThat(diffBlocks("", "a", "/", 10)).isEmpty();
    assertThat(volume.diffPaths("", "a", "/")).extracting(PathChange::kind).containsExactly(ChangeKind.REMOVED);
    failure(ErrorCode.NOT_FOUND, () -> volume.diffPaths("nope", "a", "/"));
    failure(ErrorCode.NOT_FOUND, () -> volume.diffBlocks("a", "nope", "/", 10, b -> { }));
    failure(ErrorCode.NOT_FOUND, () -> volume.diffPaths("a", "", "/neither"));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.diffBlocks("a", "", "/", 0, b -> { }));
    // A prefix only in the target: everything under it is new.
    volume.mkdir("/later", 0755, T0);
    write("/later/x", 0, content("x", 2));
    assertThat(diffBlocks("a", "", "/later", 10)).containsExactlyInAnyOrderElementsOf(content("x", 2).ids());
  }

  @Test
  void batchesStayWithinTheirSize() {
    write("/f", 0, content("f", 40));
    volume.createSnapshot("a", T0);
    write("/g", 0, content("g", 30));
    List<List<BlockRef>> batches = new ArrayList<>();
    volume.diffBlocks("a", "", "/", 7, batches::add);
    assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeBetween(1, 7));
    assertThat(batches.stream().mapToInt(List::size).sum()).isEqualTo(expectedBlocks("a", "", "/").size());
  }

  /** Random edits between two snapshots, compared with the oracle for several prefixes and join chunk sizes. */
  @Test
  void randomEditsMatchTheOracle() {
    Random random = new Random(16);
    List<Content> contents = new ArrayList<>();
    for (int round = 0; round < 8; round++) {
      String a = "a" + round;
      String b = "b" + round;
      randomOps(random, 25, contents);
      volume.createSnapshot(a, T0);
      randomOps(random, 25, contents);
      volume.createSnapshot(b, T0);
      List<String> prefixes = new ArrayList<>(List.of("/"));
      walk(b).values().stream().filter(s -> s.attr().type() == FileType.DIRECTORY).map(Seen::path).limit(3)
          .forEach(prefixes::add);
      for (String prefix : prefixes) {
        String what = "round " + round + " prefix " + prefix;
        assertThat(volume.diffPaths(a, b, prefix)).as(what).isEqualTo(expectedChanges(a, b, prefix));
        assertThat(diffBlocks(a, b, prefix, 16)).as(what).isEqualTo(expectedBlocks(a, b, prefix));
        TreeDiff tiny = new TreeDiff(volume.storage, volume.namespace, volume.snapshots, volume.blocks.trees, 2);
        assertThat(tiny.paths(a, b, prefix)).as(what + ", chunks of 2").isEqualTo(expectedChanges(a, b, prefix));
        Set<BlockId> blocks = new HashSet<>();
        tiny.blocks(a, b, prefix, 3, batch -> batch.forEach(r -> blocks.add(r.id())));
        assertThat(blocks).as(what + ", chunks of 2").isEqualTo(expectedBlocks(a, b, prefix));
      }
    }
  }

  // ---------------------------------------------------------------- random edits

  private void randomOps(Random random, int n, List<Content> contents) {
    for (int i = 0; i < n; i++) {
      Map<Long, Seen> live = walk("");
      List<Seen> dirs = live.values().stream().filter(s -> s.attr().type() == FileType.DIRECTORY).toList();
      List<Seen> files = live.values().stream().filter(s -> s.attr().type() == FileType.FILE).toList();
      List<Seen> entries = live.values().stream().filter(s -> s.attr().inode() != Namespace.ROOT_INODE).toList();
      Seen dir = dirs.get(random.nextInt(dirs.size()));
      String fresh = VolumePath.join(dir.path(), "n" + random.nextInt(1_000_000));
      switch (random.nextInt(9)) {
        case 0 -> volume.mkdir(fresh, 0755, T0);
        case 1, 2 -> {
          // Seeds from a small pool and growing lengths: new files share chunks with old ones.
          Content c = content("seed" + random.nextInt(5), 1 + random.nextInt(30));
          contents.add(c);
          commit(fresh, 0, c);
        }
        case 3 -> {
          if (!files.isEmpty()) {
            Seen f = files.get(random.nextInt(files.size()));
            Content c = !contents.isEmpty() && random.nextBoolean() ? contents.get(random.nextInt(contents.size()))
                : content("seed" + random.nextInt(5), 1 + random.nextInt(30));
            contents.add(c);
            commit(f.path(), f.attr().version(), c);
          }
        }
        case 4 -> {
          if (!entries.isEmpty()) {
            Seen e = entries.get(random.nextInt(entries.size()));
            if (!VolumePath.isUnder(dir.path(), e.path())) {
              String to = random.nextBoolean() ? fresh : VolumePath.join(VolumePath.parent(e.path()),
                  "r" + random.nextInt(1_000_000));
              volume.rename(e.path(), to, T0);
            }
          }
        }
        case 5 -> {
          if (!entries.isEmpty()) {
            Seen e = entries.get(random.nextInt(entries.size()));
            if (e.attr().type() != FileType.DIRECTORY) {
              volume.unlink(e.path(), T0);
            } else if (volume.readDir("", e.path(), "", 1).entries().isEmpty()) {
              volume.rmdir(e.path(), T0);
            }
          }
        }
        case 6 -> {
          if (!entries.isEmpty()) {
            Seen e = entries.get(random.nextInt(entries.size()));
            volume.setAttr(e.path(), random.nextBoolean() ? OptionalInt.of(random.nextInt(0777))
                : OptionalInt.empty(), OptionalLong.of(T0 + random.nextInt(1000)), OptionalLong.empty(), T0);
          }
        }
        case 7 -> volume.symlink(fresh, "target" + random.nextInt(10), T0);
        default -> {
          if (!contents.isEmpty()) {
            commit(fresh, 0, contents.get(random.nextInt(contents.size()))); // a copy
          }
        }
      }
    }
  }

  /** As {@link #write} with the blocks stored in one transaction (one sync, not one per block). */
  private void commit(String path, long base, Content c) {
    List<dev.outpost.origin.volume.Volume.VerifiedBlock> verified = new ArrayList<>();
    for (SealedBlock b : c.blocks()) {
      verified.add(volume.verifyBlock(b.id(), ByteBuffer.wrap(b.cipher())));
    }
    volume.putBlocks(verified, List.of());
    volume.commit(path, 0, base, c.rootRef(), c.size(), clock.millis(), clock.millis());
  }

  // ---------------------------------------------------------------- the oracle

  /** An entry as READDIR shows it, with where it hangs. */
  record Seen(String path, long parent, String name, FileAttr attr) {}

  private Map<Long, Seen> walk(String tree) {
    Map<Long, Seen> out = new LinkedHashMap<>();
    FileAttr root = volume.getAttr(tree, "/");
    out.put(root.inode(), new Seen("/", 0, "", root));
    List<Seen> todo = new ArrayList<>(List.of(out.get(root.inode())));
    while (!todo.isEmpty()) {
      Seen dir = todo.removeLast();
      String after = "";
      while (true) {
        DirPage page = volume.readDir(tree, dir.path(), after, 3);
        for (DirEntry e : page.entries()) {
          Seen s = new Seen(VolumePath.join(dir.path(), e.name()), dir.attr().inode(), e.name(), e.attr());
          out.put(e.attr().inode(), s);
          if (e.attr().type() == FileType.DIRECTORY) {
            todo.add(s);
          }
        }
        if (!page.more()) {
          break;
        }
        after = page.entries().getLast().name();
      }
    }
    return out;
  }

  private List<PathChange> expectedChanges(String base, String target, String prefix) {
    Map<Long, Seen> a = walk(base);
    Map<Long, Seen> b = walk(target);
    Set<Long> inodes = new java.util.TreeSet<>(a.keySet());
    inodes.addAll(b.keySet());
    List<PathChange> out = new ArrayList<>();
    for (long inode : inodes) {
      Seen x = a.get(inode);
      Seen y = b.get(inode);
      boolean underA = x != null && VolumePath.isUnder(x.path(), prefix);
      boolean underB = y != null && VolumePath.isUnder(y.path(), prefix);
      if (!underA && !underB) {
        continue;
      }
      if (!underA) {
        out.add(new PathChange(ChangeKind.CREATED, inode, y.attr().type(), y.path(), ""));
        continue;
      }
      if (!underB) {
        out.add(new PathChange(ChangeKind.REMOVED, inode, x.attr().type(), x.path(), ""));
        continue;
      }
      if (x.parent() != y.parent() || !x.name().equals(y.name())) {
        out.add(new PathChange(ChangeKind.RENAMED, inode, y.attr().type(), y.path(), x.path()));
      }
      FileAttr p = x.attr();
      FileAttr q = y.attr();
      boolean file = q.type() == FileType.FILE;
      boolean content = p.size() != q.size() || !Objects.equals(p.root().map(r -> r.block()), q.root().map(r -> r.block()));
      if (file && content) {
        out.add(new PathChange(ChangeKind.MODIFIED, inode, q.type(), y.path(), ""));
      } else if (p.mode() != q.mode() || (file && p.mtimeMillis() != q.mtimeMillis())) {
        out.add(new PathChange(ChangeKind.ATTRS, inode, q.type(), y.path(), ""));
      }
    }
    out.sort(java.util.Comparator.comparing(PathChange::path).thenComparing(c -> c.kind() != ChangeKind.REMOVED));
    return out;
  }

  private Set<BlockId> expectedBlocks(String base, String target, String prefix) {
    Set<BlockId> wanted = listed(target, prefix);
    wanted.removeAll(listed(base, prefix));
    return wanted;
  }

  private Set<BlockId> listed(String tree, String prefix) {
    Set<BlockId> out = new HashSet<>();
    if (walk(tree).values().stream().noneMatch(s -> s.path().equals(prefix))) {
      return out;
    }
    volume.listBlocks(tree, prefix, 1000, batch -> batch.forEach(r -> out.add(r.id())));
    return out;
  }

  private Set<BlockId> diffBlocks(String base, String target, String prefix, int batchSize) {
    Set<BlockId> out = new HashSet<>();
    Map<BlockId, Integer> counts = new HashMap<>();
    volume.diffBlocks(base, target, prefix, batchSize, batch -> batch.forEach(r -> {
      out.add(r.id());
      counts.merge(r.id(), 1, Integer::sum);
    }));
    assertThat(counts.values()).as("each block once").allMatch(c -> c == 1);
    return out;
  }
}
