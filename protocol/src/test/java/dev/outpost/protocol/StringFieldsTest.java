package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.Utf8;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Every kind of string field on the wire, fed arbitrary bytes: the frame either decodes with the field holding
 * exactly those bytes (encoding it again gives the same frame), or fails with a typed error: MALFORMED_FRAME
 * whenever the bytes are not UTF-8, INVALID_PATH / INVALID_ARGUMENT for a record invariant. A name is never
 * changed on the way in (ADR 0003).
 */
class StringFieldsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String FILE_ATTR = "0000000000000005 01 01A4 0000000000000000 0000000000000000"
      + " 0000000000000001 00 0000";
  /** A mutation's i64 lease token and OperationId (u64 originator, u64 seq): none. */
  private static final String LEASE_AND_OPERATION = "0000000000000000 0000000000000000 0000000000000000";
  /** A reply's i64 staleSinceMillis: current. */
  private static final String NOT_STALE = "0000000000000000";

  /** One string field of one message: its type and how its body is built around the field's bytes. */
  record Field(String name, int type, int requestId, Function<String, String> body) {
    @Override
    public String toString() {
      return name;
    }
  }

  static final List<Field> FIELDS = List.of(
      new Field("Hello.agent", 0x0001, 1, x -> "4F555450 0002 0002" + x + str("t")),
      new Field("Hello.token", 0x0001, 1, x -> "4F555450 0002 0002" + str("agent") + x),
      new Field("Attach.token", 0x0002, 1, x -> x),
      new Field("GetAttr.snapshot", 0x0010, 1, x -> x + str("/a")),
      new Field("GetAttr.path", 0x0010, 1, x -> str("") + x),
      new Field("Lookup.name", 0x0011, 1, x -> str("") + "0000000000000001" + x),
      new Field("ReadDir.startAfter", 0x0012, 1, x -> str("") + str("/") + x + "000A"),
      new Field("Create.path", 0x0013, 1, x -> x + "01A4 00 0000000000000000" + LEASE_AND_OPERATION),
      new Field("Rename.to", 0x0017, 1, x -> str("/a") + x + LEASE_AND_OPERATION),
      new Field("Symlink.target", 0x0019, 1, x -> str("/l") + x + "0000000000000000" + LEASE_AND_OPERATION),
      new Field("LeaseAcquire.path", 0x0040, 1, x -> x + "01 00 0000000000002710"),
      new Field("Subscribe.prefix", 0x0050, 1, x -> "0000000000000000" + x),
      new Field("SnapshotCreate.name", 0x0061, 1, x -> x),
      new Field("ErrorReply.message", 0x8001, 1, x -> "0014" + x + "00"),
      new Field("Welcome.volume", 0x8002, 1, x -> "0002" + str("origin") + x + "0000000000000000 0000000000000000"),
      new Field("AttrReply.linkTarget", 0x8010, 1,
          x -> "0000000000000005 03 01FF 0000000000000000 0000000000000000 0000000000000001 00" + x + NOT_STALE),
      new Field("DirPage.name", 0x8011, 1, x -> "00000001" + x + FILE_ATTR + "00" + NOT_STALE),
      new Field("LinkTarget.target", 0x8012, 1, x -> x + NOT_STALE),
      new Field("LeaseRecall.path", 0x8041, 0, x -> x + "0000000000000001"),
      new Field("ChangeEvent.path", 0x8051, 1, x -> "0000000000000001 0000000000000001" + x + str("")
          + "0000000000000000 01"),
      new Field("ChangeEvent.fromPath", 0x8051, 1, x -> "0000000000000001 0000000000000001" + str("/to") + x
          + "0000000000000000 05"),
      new Field("Snapshots.name", 0x8060, 1, x -> "00000001" + x + "0000000000000001 0000000000000000"));

  @Provide
  Arbitrary<Field> fields() {
    return Arbitraries.of(FIELDS);
  }

  /** Arbitrary bytes, UTF-8 text, UTF-8 text with one byte changed; half of them behind a "/" to look like paths. */
  @Provide
  Arbitrary<byte[]> fieldBytes() {
    Arbitrary<byte[]> random = Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.integers().between(0x20, 0x7E)),
        Tuple.of(3, Arbitraries.integers().between(0x80, 0xBF)),
        Tuple.of(3, Arbitraries.integers().between(0xC0, 0xFF))).list().ofMaxSize(16).map(StringFieldsTest::bytes);
    Arbitrary<byte[]> text = MessageArbitraries.text().map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> mutated = Arbitraries.integers().between(0, 255).flatMap(b -> text.filter(t -> t.length > 0)
        .flatMap(t -> Arbitraries.integers().between(0, t.length - 1).map(i -> {
          byte[] copy = t.clone();
          copy[i] = (byte) (int) b;
          return copy;
        })));
    Arbitrary<byte[]> any = Arbitraries.oneOf(random, text, mutated);
    return Arbitraries.oneOf(any, any.map(x -> concat(new byte[] {'/'}, x)));
  }

  @Property(tries = 5000)
  void aStringFieldRoundTripsExactlyOrIsRefusedWithATypedError(@ForAll("fields") Field field,
      @ForAll("fieldBytes") byte[] value) {
    String body = field.body().apply(String.format("%04X", value.length) + HEX.formatHex(value));
    ByteBuf frame = Wire.frame(field.type(), 0, field.requestId(), 0, body);
    try {
      boolean utf8 = Utf8.decode(value).isPresent();
      ProtocolException refused = null;
      Frame decoded = null;
      try {
        decoded = Frames.decode(frame);
      } catch (ProtocolException e) {
        refused = e;
      }
      if (refused != null && utf8 && value.length == 0 && refused.getMessage().startsWith("list claims")) {
        // An empty name makes a list element shorter than the smallest valid one: refused by the count check.
        assertThat(refused.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
        return;
      }
      if (refused != null) {
        assertThat(refused.code()).as("%s: %s", field, refused.getMessage())
            .isIn(utf8 ? List.of(ErrorCode.INVALID_PATH, ErrorCode.INVALID_ARGUMENT) : List.of(ErrorCode.MALFORMED_FRAME));
        assertThat(refused.requestId()).isEqualTo(field.requestId());
        Statistics.collect(utf8 ? "UTF-8, refused by an invariant" : "not UTF-8, MALFORMED_FRAME");
        return;
      }
      assertThat(utf8).as("%s decoded bytes that are not UTF-8: %s", field, HEX.formatHex(value)).isTrue();
      ByteBuf again = Frames.encode(decoded, Wire.ALLOC);
      try {
        // The encoding carries the length field in front of what was decoded.
        assertThat(Wire.hex(again.skipBytes(4))).as("%s re-encoded", field).isEqualTo(Wire.hex(frame.resetReaderIndex()));
      } finally {
        again.release();
        decoded.release();
      }
      Statistics.collect("UTF-8, round trip");
    } finally {
      frame.release();
    }
  }

  @Property(tries = 200)
  void bytesThatAreNotUtf8AreMalformedInEveryField(@ForAll("fields") Field field) {
    for (String bad : List.of("2FFF", "2FFE", "2FEDA080", "2FC0AF", "2F636166E9", "2F78E697", "2FF4908080")) {
      ByteBuf frame = Wire.frame(field.type(), 0, field.requestId(), 0,
          field.body().apply(String.format("%04X", bad.length() / 2) + bad));
      try {
        ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> Frames.decode(frame));
        assertThat(e).as("%s with %s", field, bad).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
        assertThat(e.getMessage()).contains("not valid UTF-8");
      } finally {
        frame.release();
      }
    }
  }

  private static String str(String s) {
    return Wire.str(s);
  }

  private static byte[] bytes(List<Integer> list) {
    byte[] out = new byte[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) (int) list.get(i);
    }
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
