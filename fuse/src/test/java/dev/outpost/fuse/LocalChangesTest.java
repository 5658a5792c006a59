package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.FileWrite;
import dev.outpost.client.OutpostClient;
import dev.outpost.client.OutpostFile;
import dev.outpost.client.WriteOptions;
import dev.outpost.client.WriteReport;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * A handle's changes on top of a version, against a byte-array model: any mix of writes (inside, across the end,
 * far past it), truncates that shrink and grow, with a bound of 6 written ranges so that merging gaps runs all the
 * time. Reads merge the three sources exactly, and the commit made from them reads back as the model and has the
 * tree of the model's bytes written plainly. A real origin on 127.0.0.1; no mount needed.
 */
class LocalChangesTest {
  private static final int BASE_BYTES = 2 << 20;
  private static final int MAX_RANGES = 6;
  private static final int MAX_MODEL_BYTES = 8 << 20;
  private static final AtomicInteger FILES = new AtomicInteger();
  private static Path dir;
  private static EmbeddedOrigin origin;
  private static OutpostClient client;

  sealed interface Op {}

  record Write(int offset, int length, long seed) implements Op {}

  record Truncate(int size) implements Op {}

  @BeforeContainer
  static void start() throws IOException {
    dir = Files.createTempDirectory("local-changes");
    origin = EmbeddedOrigin.start(Files.createDirectories(dir.resolve("origin")), TestOrigins.VOLUME);
    client = TestOrigins.client(origin);
    byte[] base = new byte[BASE_BYTES];
    new Random(3).nextBytes(base);
    Arrays.fill(base, 600_000, 1_400_000, (byte) 0);
    client.write("/base", base, WriteOptions.DEFAULTS);
  }

  @AfterContainer
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> write = Combinators.combine(
        Arbitraries.integers().between(0, MAX_MODEL_BYTES - 300_000),
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(1, 5_000)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(5_000, 300_000))),
        Arbitraries.longs()).as(Write::new);
    Arbitrary<Op> truncate = Arbitraries.integers().between(0, MAX_MODEL_BYTES).map(Truncate::new);
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, write), net.jqwik.api.Tuple.of(1, truncate))
        .list().ofMinSize(1).ofMaxSize(40);
  }

  @Property(tries = 25, edgeCases = EdgeCasesMode.NONE)
  void readsAndTheCommitMatchTheModel(@ForAll("ops") List<Op> ops, @ForAll boolean onBase) throws IOException {
    OutpostFile base = client.open("/base");
    byte[] model = onBase ? readAll(base) : new byte[0];
    try (LocalChanges changes = new LocalChanges(dir, "test-", onBase ? Optional.of(base) : Optional.empty(),
        MAX_RANGES)) {
      for (Op op : ops) {
        switch (op) {
          case Write w -> {
            byte[] b = new byte[w.length()];
            new Random(w.seed()).nextBytes(b);
            changes.write(ByteBuffer.wrap(b), w.offset());
            if (model.length < w.offset() + w.length()) {
              model = Arrays.copyOf(model, w.offset() + w.length());
            }
            System.arraycopy(b, 0, model, w.offset(), b.length);
          }
          case Truncate t -> {
            changes.truncate(t.size());
            model = Arrays.copyOf(model, t.size());
          }
        }
        assertThat(changes.size()).isEqualTo(model.length);
        assertThat(changes.ranges()).isLessThanOrEqualTo(MAX_RANGES);
      }
      ByteBuffer all = ByteBuffer.allocate(model.length + 10);
      assertThat(changes.read(all, 0)).isEqualTo(model.length);
      assertThat(Arrays.copyOf(all.array(), model.length)).isEqualTo(model);
      // A read that starts inside and runs past the end.
      ByteBuffer tail = ByteBuffer.allocate(1000);
      long from = Math.max(0, model.length - 300);
      assertThat(changes.read(tail, from)).isEqualTo(model.length - from);

      String path = "/changed-" + FILES.incrementAndGet();
      FileWrite w = client.openWrite(path, WriteOptions.DEFAULTS);
      changes.writeTo(w);
      w.close();
      assertThat(readAll(client.open(path))).isEqualTo(model);
      WriteReport plain = client.write(path + "-plain", model, WriteOptions.DEFAULTS);
      assertThat(w.report().attr().root().map(r -> r.block())).isEqualTo(plain.attr().root().map(r -> r.block()));
      client.rm(path, false);
      client.rm(path + "-plain", false);
    }
  }

  /** A hundred scattered one-byte writes over the base: the ranges stay at the bound, the bytes stay right. */
  @Example
  void scatteredWritesStayWithinTheBoundOfRanges() throws IOException {
    OutpostFile base = client.open("/base");
    byte[] model = readAll(base);
    try (LocalChanges changes = new LocalChanges(dir, "test-", Optional.of(base), MAX_RANGES)) {
      for (int i = 0; i < 100; i++) {
        int at = (int) ((i * 7919L * 4099) % (BASE_BYTES + 200_000));
        changes.write(ByteBuffer.wrap(new byte[] {(byte) (i + 1)}), at);
        model = Arrays.copyOf(model, Math.max(model.length, at + 1));
        model[at] = (byte) (i + 1);
        assertThat(changes.ranges()).isLessThanOrEqualTo(MAX_RANGES);
      }
      assertThat(changes.ranges()).isEqualTo(MAX_RANGES);
      ByteBuffer all = ByteBuffer.allocate(model.length);
      assertThat(changes.read(all, 0)).isEqualTo(model.length);
      assertThat(all.array()).isEqualTo(model);
    }
  }

  private static byte[] readAll(OutpostFile f) throws IOException {
    try (InputStream in = f.inputStream()) {
      return in.readAllBytes();
    }
  }
}
