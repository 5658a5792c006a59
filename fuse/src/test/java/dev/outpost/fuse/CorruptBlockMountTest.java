package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.WriteOptions;
import dev.outpost.core.BlockId;
import dev.outpost.origin.embedded.StoredBlocks;
import dev.outpost.protocol.FileAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiConsumer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Blocks damaged in the origin's LMDB store (while it was stopped; the mount's client reconnects to it once
 * started again) reach programs reading through a real mount as errors: dd, cp and cat exit non-zero, Java's
 * readers get an IOException, no read returns wrong bytes, and the file's size as the kernel sees it stays what
 * the attributes say — a short read would make the kernel believe the file ends there.
 */
@Timeout(300)
class CorruptBlockMountTest extends MountFixture {
  static final int SMALL = 5000;
  static final int BIG = 3 << 20;
  static final int DEEP = 12 << 20;
  static final int QUARTER = 256 << 10;
  static final int QUARTERS = 24;

  /** Which block of a file is damaged, and how. */
  record Damage(String name, int size, BiConsumer<StoredBlocks, StoredBlocks.Tree> apply) {}

  private BlockId smallDonor;
  private final Map<String, byte[]> content = new LinkedHashMap<>();

  private List<Damage> damages() {
    List<Damage> all = new ArrayList<>(List.of(
        new Damage("small-flipped", SMALL, (s, t) -> s.flipByte(t.data().getFirst(), 1)),
        new Damage("small-truncated", SMALL, (s, t) -> s.truncate(t.data().getFirst(), SMALL / 2)),
        new Damage("small-missing", SMALL, (s, t) -> s.delete(t.data().getFirst())),
        new Damage("small-swapped", SMALL, (s, t) -> s.replaceWith(t.data().getFirst(), smallDonor)),
        new Damage("big-first-flipped", BIG, (s, t) -> s.flipByte(t.data().getFirst(), 1)),
        new Damage("big-middle-flipped", BIG, (s, t) -> s.flipByte(middle(t.data()), -20)),
        new Damage("big-last-flipped", BIG, (s, t) -> s.flipByte(t.data().getLast(), -1)),
        new Damage("big-middle-truncated", BIG, (s, t) -> s.truncate(middle(t.data()), 1000)),
        new Damage("big-middle-missing", BIG, (s, t) -> s.delete(middle(t.data()))),
        new Damage("big-root-index-flipped", BIG, (s, t) -> s.flipByte(t.index().getFirst(), -1)),
        new Damage("deep-inner-index-flipped", DEEP, (s, t) -> s.flipByte(t.index().getLast(), -3))));
    // The case: 256 KiB files (a few blocks each), each block damaged in turn. Which requests libfuse's
    // threads run first varies, so several files per position.
    for (int i = 0; i < QUARTERS; i++) {
      int block = i;
      all.add(new Damage("quarter-" + i, QUARTER, (s, t) -> s.flipByte(t.data().get(block % t.data().size()), 7)));
    }
    return all;
  }

  private static BlockId middle(List<BlockId> ids) {
    return ids.get(ids.size() / 2);
  }

  /**
   * Writes one file per damage through the client, stops the origin, damages its store and starts it again; the
   * client reconnects by itself.
   */
  @Override
  void beforeMount() {
    Random random = new Random(23);
    Map<String, FileAttr> attrs = new LinkedHashMap<>();
    for (Damage d : damages()) {
      String path = "/" + d.name();
      byte[] bytes = new byte[d.size()];
      for (int attempt = 0; attempt < 5; attempt++) {
        random.nextBytes(bytes);
        long base = client.statIfExists(path).map(FileAttr::version).orElse(0L);
        attrs.put(d.name(), client.write(path, bytes, WriteOptions.DEFAULTS.withBaseVersion(base)).attr());
        // Index blocks under the root are likely, not certain, for 12 MiB: the ids decide.
        if (d.size() != DEEP || attrs.get(d.name()).root().orElseThrow().depth() >= 2) {
          break;
        }
      }
      content.put(d.name(), bytes);
    }
    byte[] donor = new byte[SMALL];
    random.nextBytes(donor);
    smallDonor = client.write("/donor", donor, WriteOptions.DEFAULTS).attr().root().orElseThrow().block();

    origin.stop();
    try (StoredBlocks stored = StoredBlocks.open(origin.dataDir())) {
      for (Damage d : damages()) {
        StoredBlocks.Tree tree = stored.tree(attrs.get(d.name()).root().orElseThrow());
        if (d.size() == DEEP) {
          assertThat(tree.index()).as("%s has index blocks under its root", d.name()).hasSizeGreaterThan(1);
        }
        d.apply().accept(stored, tree);
      }
    }
    origin.start();
  }

  /** Where {@code got} differs from {@code expected} at {@code at} on, as a file offset; -1 if nowhere. */
  static long firstWrongByte(byte[] got, byte[] expected, long at) {
    int i = Arrays.mismatch(got, 0, got.length, expected, (int) at, (int) Math.min(expected.length, at + got.length));
    return i < 0 ? -1 : at + i;
  }

  @Test
  void ddCpAndCatFailAndTheSizeStays() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    for (Damage d : damages()) {
      String f = d.name();
      for (String tool : new String[] {"dd if=" + f + " of=/dev/null bs=1M", "cp " + f + " " + tmp.resolve(f + ".cp"),
          "cat " + f + " > " + tmp.resolve(f + ".cat"), "dd if=" + f + " of=/dev/null bs=1M"}) {
        Result r = shResult(tool);
        soft.assertThat(r.exitCode()).as("`%s` exit code; output: %s", tool, r.output()).isNotZero();
      }
      for (String copy : new String[] {f + ".cp", f + ".cat"}) {
        Path p = tmp.resolve(copy);
        if (Files.exists(p)) {
          byte[] got = Files.readAllBytes(p);
          soft.assertThat(got.length).as("size of %s", copy).isLessThan(d.size());
          soft.assertThat(firstWrongByte(got, content.get(f), 0)).as("first wrong byte of %s", copy).isEqualTo(-1);
        }
      }
      soft.assertThat(sh("stat -c %s " + f).strip()).as("size of %s after the failed reads", f)
          .isEqualTo(Integer.toString(d.size()));
    }
    soft.assertAll();
  }

  @Test
  void javaReadersGetAnIOExceptionAndNeverWrongBytes() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    for (Damage d : damages()) {
      Path f = mnt.resolve(d.name());
      byte[] expected = content.get(d.name());
      try {
        byte[] all = Files.readAllBytes(f);
        soft.fail("%s: read %d of %d bytes without an error", d.name(), all.length, expected.length);
      } catch (IOException e) {
        soft.assertThat(e.getMessage()).as(d.name()).contains("Input/output error");
      }
      // Positional reads out of order through one descriptor: from the end backwards, then again.
      int step = Math.max(1000, expected.length / 5);
      int failures = 0;
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
        for (int round = 0; round < 2; round++) {
          for (int pos = (expected.length - 1) / step * step; pos >= 0; pos -= step) {
            ByteBuffer buf = ByteBuffer.allocate(step);
            int want = Math.min(step, expected.length - pos);
            try {
              while (buf.position() < want) {
                int n = ch.read(buf, pos + buf.position());
                if (n < 0) {
                  break;
                }
              }
              soft.assertThat(buf.position()).as("%s: bytes at %d", d.name(), pos).isEqualTo(want);
              soft.assertThat(firstWrongByte(Arrays.copyOf(buf.array(), buf.position()), expected, pos))
                  .as("%s: first wrong byte of the read at %d", d.name(), pos).isEqualTo(-1);
            } catch (IOException e) {
              failures++;
            }
          }
        }
      }
      soft.assertThat(failures).as("%s: positional reads that failed", d.name()).isPositive();
      soft.assertThat(Files.size(f)).as("%s: size afterwards", d.name()).isEqualTo(d.size());
    }
    soft.assertAll();
  }
}
