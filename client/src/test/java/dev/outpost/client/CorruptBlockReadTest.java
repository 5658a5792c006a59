package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.origin.embedded.StoredBlocks;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.FileAttr;
import dev.outpost.transport.Errors;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A real origin whose stored blocks were damaged offline (flipped bytes, a truncated block, a missing block,
 * another block's bytes under an id) while it was stopped, then started again: every library read path —
 * stream, stream from an offset, positional reads out of order, download, truncate — fails with a typed error
 * and keeps failing, never hands out wrong bytes, and never ends early as if the file were shorter.
 */
@Timeout(180)
class CorruptBlockReadTest {
  @RegisterExtension
  static final LeakReports leaks = new LeakReports();
  static final Set<ErrorCode> DAMAGE = Set.of(ErrorCode.BLOCK_CORRUPT, ErrorCode.MISSING_BLOCKS);
  static final int SMALL = 5000;
  static final int BIG = 3 << 20;
  static final int DEEP = 12 << 20;

  @TempDir
  static Path dir;
  static EmbeddedOrigin origin;
  static OutpostClient client;
  /** What each damaged file held, by path. */
  static final Map<String, byte[]> content = new LinkedHashMap<>();

  /** Which block of a file is damaged, and how. */
  record Damage(String path, int size, BiConsumer<StoredBlocks, StoredBlocks.Tree> apply) {
    @Override
    public String toString() {
      return path;
    }
  }

  static List<Damage> damages() {
    return List.of(
        new Damage("/small-flipped", SMALL, (s, t) -> s.flipByte(t.data().getFirst(), 1)),
        new Damage("/small-truncated", SMALL, (s, t) -> s.truncate(t.data().getFirst(), SMALL / 2)),
        new Damage("/small-missing", SMALL, (s, t) -> s.delete(t.data().getFirst())),
        new Damage("/small-swapped", SMALL, (s, t) -> s.replaceWith(t.data().getFirst(), smallDonor)),
        new Damage("/big-first-flipped", BIG, (s, t) -> s.flipByte(t.data().getFirst(), 1)),
        new Damage("/big-middle-flipped", BIG, (s, t) -> s.flipByte(middle(t.data()), -20)),
        new Damage("/big-last-flipped", BIG, (s, t) -> s.flipByte(t.data().getLast(), -1)),
        new Damage("/big-middle-truncated", BIG, (s, t) -> s.truncate(middle(t.data()), 1000)),
        new Damage("/big-middle-missing", BIG, (s, t) -> s.delete(middle(t.data()))),
        new Damage("/big-root-index-flipped", BIG, (s, t) -> s.flipByte(t.index().getFirst(), -1)),
        new Damage("/deep-inner-index-flipped", DEEP, (s, t) -> s.flipByte(t.index().getLast(), -3)),
        new Damage("/deep-inner-index-missing", DEEP, (s, t) -> s.delete(t.index().get(1))));
  }

  /** A block of another small file: same length, so only its tag (under the wrong key) can tell. */
  static BlockId smallDonor;

  static BlockId middle(List<BlockId> ids) {
    return ids.get(ids.size() / 2);
  }

  @BeforeAll
  static void damageTheOrigin() throws Exception {
    origin = EmbeddedOrigin.start(dir.resolve("origin"), TestOrigins.VOLUME);
    client = OutpostClient.connect(TestOrigins.config(origin).withReconnect(new ClientConfig.Reconnect(20, 200)));
    Random random = new Random(11);
    for (Damage d : damages()) {
      byte[] bytes = new byte[d.size()];
      // A deep tree (index blocks under the root) is likely, not certain, for 12 MiB: the ids decide.
      for (int attempt = 0; attempt < 5; attempt++) {
        random.nextBytes(bytes);
        client.write(d.path(), bytes, WriteOptions.DEFAULTS.withBaseVersion(client.statIfExists(d.path())
            .map(FileAttr::version).orElse(0L)));
        if (d.size() != DEEP || client.stat(d.path()).root().orElseThrow().depth() >= 2) {
          break;
        }
      }
      content.put(d.path(), bytes);
    }
    byte[] donor = new byte[SMALL];
    random.nextBytes(donor);
    client.write("/donor", donor, WriteOptions.DEFAULTS);
    Map<String, FileAttr> attrs = new LinkedHashMap<>();
    for (String p : content.keySet()) {
      attrs.put(p, client.stat(p));
    }
    FileAttr donorAttr = client.stat("/donor");

    origin.stop();
    try (StoredBlocks stored = StoredBlocks.open(origin.dataDir())) {
      smallDonor = donorAttr.root().orElseThrow().block();
      for (Damage d : damages()) {
        StoredBlocks.Tree tree = stored.tree(attrs.get(d.path()).root().orElseThrow());
        if (d.size() == DEEP) {
          assertThat(tree.index()).as("%s has index blocks under its root", d.path()).hasSizeGreaterThan(1);
        }
        d.apply().accept(stored, tree);
      }
    }
    origin.start();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damages")
  void aStreamFailsAtTheDamagedBlockAndKeepsFailing(Damage d) throws Exception {
    byte[] expected = content.get(d.path());
    int got = 0;
    OutpostException failure = null;
    try (InputStream in = client.openRead(d.path())) {
      byte[] buf = new byte[64 << 10];
      while (true) {
        int n;
        try {
          n = in.read(buf);
        } catch (OutpostException e) {
          failure = e;
          break;
        }
        assertThat(n).as("%s ended after %d of %d bytes", d.path(), got, expected.length).isNotNegative();
        assertThat(Arrays.copyOfRange(buf, 0, n)).as("bytes at %d", got)
            .isEqualTo(Arrays.copyOfRange(expected, got, got + n));
        got += n;
      }
      assertThat(failure.code()).as(failure.toString()).isIn(DAMAGE);
      assertThat(got).isLessThan(expected.length);
      // Sticky: the stream does not go on after the block it could not read.
      ErrorCode code = failure.code();
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(() -> in.read(new byte[4096])).isInstanceOfSatisfying(OutpostException.class,
            e -> assertThat(e.code()).isEqualTo(code));
        assertThatThrownBy(in::read).isInstanceOfSatisfying(OutpostException.class,
            e -> assertThat(e.code()).isEqualTo(code));
      }
    } catch (OutpostException e) {
      // Opening may already see the damage (a bad root index block): that is an error too, not a short file.
      assertThat(failure).isNull();
      assertThat(e.code()).as(e.toString()).isIn(DAMAGE);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damages")
  void positionalReadsInAnyOrderReturnTheRightBytesOrFail(Damage d) {
    byte[] expected = content.get(d.path());
    OutpostFile f = client.open(d.path());
    int step = Math.max(1000, expected.length / 7);
    int failures = 0;
    // From the end backwards, then the same ranges again: reads behind earlier ones and repeated ones.
    for (int round = 0; round < 2; round++) {
      for (int pos = (expected.length - 1) / step * step; pos >= 0; pos -= step) {
        byte[] buf = new byte[step];
        try {
          int n = f.read(pos, buf, 0, step);
          int want = Math.min(step, expected.length - pos);
          assertThat(n).as("read at %d", pos).isEqualTo(want);
          assertThat(Arrays.copyOf(buf, n)).isEqualTo(Arrays.copyOfRange(expected, pos, pos + n));
        } catch (OutpostException e) {
          assertThat(e.code()).as(e.toString()).isIn(DAMAGE);
          failures++;
        }
      }
    }
    assertThat(failures).as("reads that met the damage").isPositive();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damages")
  void aStreamFromTheMiddleFailsOrReturnsTheTail(Damage d) throws Exception {
    byte[] expected = content.get(d.path());
    int from = expected.length / 2;
    try (InputStream in = client.open(d.path()).inputStream(from)) {
      byte[] all = in.readAllBytes();
      // Only a damage in the first half may leave the tail readable; then it is all of it.
      assertThat(all).isEqualTo(Arrays.copyOfRange(expected, from, expected.length));
    } catch (OutpostException e) {
      assertThat(e.code()).as(e.toString()).isIn(DAMAGE);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damages")
  void aFailedDownloadLeavesTheLocalFileAsItWas(Damage d, @TempDir Path local) throws Exception {
    Path fresh = local.resolve("fresh");
    assertThatThrownBy(() -> client.download(d.path(), fresh)).isInstanceOfSatisfying(OutpostException.class,
        e -> assertThat(e.code()).isIn(DAMAGE));
    assertThat(fresh).doesNotExist();
    Path existing = Files.writeString(local.resolve("existing"), "the copy from yesterday\n");
    assertThatThrownBy(() -> client.download(d.path(), existing)).isInstanceOf(OutpostException.class);
    assertThat(existing).hasContent("the copy from yesterday");
    try (var left = Files.list(local)) {
      assertThat(left).containsExactly(existing);
    }
  }

  /**
   * Growing a damaged file never hides the damage. A truncate reads only what it must (the index blocks and the
   * chunk its new end cuts; the other chunks are reused by reference without being read, so that extending a
   * file costs O(1) blocks): when it meets the damage it fails with it and commits nothing, and otherwise the
   * new version refers to the damaged block as the old one did and its reads fail there too.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("damages")
  void growingADamagedFileNeverHidesTheDamage(Damage d) throws Exception {
    FileAttr before = client.stat(d.path());
    try {
      client.truncate(d.path(), before.size() + 1);
    } catch (OutpostException e) {
      assertThat(e.code()).as(e.toString()).isIn(DAMAGE);
      assertThat(client.stat(d.path()).version()).isEqualTo(before.version());
      return;
    }
    assertThatThrownBy(() -> {
      try (InputStream in = client.openRead(d.path())) {
        in.readAllBytes();
      }
    }).isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isIn(DAMAGE));
    // Back to the content the other cases expect (the chunk this cuts is the new, sound one).
    client.truncate(d.path(), before.size());
    assertThat(client.stat(d.path()).size()).isEqualTo(before.size());
  }

  /** Attributes that promise more (or fewer) bytes than the blocks hold are an error, not a short file. */
  @Test
  void aSizeTheBlocksDoNotHoldIsAnError() throws Exception {
    EventLoopGroup group = Transports.newGroup("corrupt-test", 1);
    try {
      RpcClient raw = RpcClient.connect(group, new InetSocketAddress("127.0.0.1",
          Integer.parseInt(origin.address().split(":")[1])), RpcClient.Options.plain("test", origin.adminToken()));
      try {
        Random random = new Random(5);
        for (int size : new int[] {SMALL, BIG}) {
          for (int delta : new int[] {+1, +70_000, -1}) {
            String path = "/lying-" + size + "-" + delta;
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            FileAttr a = client.write(path, bytes, WriteOptions.DEFAULTS).attr();
            commit(raw, new Commit(path, a.inode(), a.version(), a.root(), size + delta, a.mtimeMillis(), 0));
            assertThat(client.stat(path).size()).isEqualTo(size + delta);
            assertThatThrownBy(() -> {
              try (InputStream in = client.openRead(path)) {
                in.readAllBytes();
              }
            }).as(path).isInstanceOfSatisfying(OutpostException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOCK_CORRUPT));
            OutpostFile f = client.open(path);
            assertThatThrownBy(() -> f.read(size - 10, new byte[100], 0, 100)).as(path)
                .isInstanceOfSatisfying(OutpostException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOCK_CORRUPT));
          }
        }
      } finally {
        raw.close();
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  private static void commit(RpcClient raw, Commit c) throws Exception {
    try {
      assertThat(raw.call(c).get(10, TimeUnit.SECONDS)).isInstanceOf(AttrReply.class);
    } catch (ExecutionException e) {
      throw Errors.unwrap(e);
    }
  }
}
