package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Files made of any mix of data, runs of zeros and stretches of an existing version, written with
 * {@link FileWrite#write}, {@link FileWrite#writeZeros} and {@link FileWrite#append}: they read back byte for
 * byte, and their tree is the very tree writing the same bytes builds (same root block), so zero runs and reused
 * chunks deduplicate against ordinary writes. A real origin on 127.0.0.1.
 */
class SparseContentPropertyTest {
  private static final int BASE_BYTES = 3 << 20;
  private static final AtomicInteger FILES = new AtomicInteger();
  private static EmbeddedOrigin origin;
  private static OutpostClient client;
  private static byte[] baseContent;

  /** One piece of a file: bytes, zeros, or a stretch of the base version. */
  sealed interface Piece {
    long length();
  }

  record Data(long seed, int bytes) implements Piece {
    public long length() {
      return bytes;
    }

    byte[] content() {
      byte[] b = new byte[bytes];
      new Random(seed).nextBytes(b);
      return b;
    }
  }

  record Zeros(long length) implements Piece {}

  record FromBase(int from, int to) implements Piece {
    public long length() {
      return to - from;
    }
  }

  @BeforeContainer
  static void start() throws IOException {
    Path dir = Files.createTempDirectory("sparse-properties");
    origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
    client = TestOrigins.client(origin);
    // The base holds data and zeros too, so stretches of it reuse zero chunks as well as data chunks.
    byte[] data = new byte[BASE_BYTES];
    new Random(11).nextBytes(data);
    Arrays.fill(data, 1 << 20, (2 << 20) + 12_345, (byte) 0);
    client.write("/base", data, WriteOptions.DEFAULTS);
    baseContent = data;
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
  Arbitrary<List<Piece>> files() {
    Arbitrary<Piece> data = Combinators.combine(Arbitraries.longs(),
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(1, 20_000)),
            net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(20_000, 400_000)))).as(Data::new);
    Arbitrary<Piece> zeros = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(1, 300_000)),
        net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(500_000, 600_000)),
        net.jqwik.api.Tuple.of(3, Arbitraries.longs().between(600_000, 6_000_000))).map(Zeros::new);
    Arbitrary<Piece> fromBase = Combinators.combine(Arbitraries.integers().between(0, BASE_BYTES),
        Arbitraries.integers().between(0, BASE_BYTES))
        .as((a, b) -> new FromBase(Math.min(a, b), Math.max(a, b)));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, data),
        net.jqwik.api.Tuple.of(4, zeros),
        net.jqwik.api.Tuple.of(2, fromBase)).list().ofMinSize(1).ofMaxSize(8);
  }

  @Property(tries = 30, edgeCases = EdgeCasesMode.NONE)
  void anyMixReadsBackAndHasTheTreeOfItsBytes(@ForAll("files") List<Piece> pieces) throws IOException {
    String path = "/mix-" + FILES.incrementAndGet();
    OutpostFile base = client.open("/base");
    FileWrite w = client.openWrite(path, WriteOptions.DEFAULTS);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (Piece p : pieces) {
      switch (p) {
        case Data d -> {
          byte[] b = d.content();
          w.write(b);
          expected.write(b);
        }
        case Zeros z -> {
          w.writeZeros(z.length());
          expected.write(new byte[(int) z.length()]);
        }
        case FromBase f -> {
          w.append(base, f.from(), f.to());
          expected.write(baseContent, f.from(), f.to() - f.from());
        }
      }
    }
    w.close();
    byte[] bytes = expected.toByteArray();
    assertThat(w.report().attr().size()).isEqualTo(bytes.length);
    try (InputStream in = client.openRead(path)) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
    WriteReport plain = client.write(path + "-bytes", bytes, WriteOptions.DEFAULTS);
    assertThat(w.report().attr().root().map(r -> r.block()))
        .as("root of the same bytes written plainly").isEqualTo(plain.attr().root().map(r -> r.block()));
    client.rm(path, false);
    client.rm(path + "-bytes", false);
  }
}
