package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Codec round trips and byte order, without LMDB ({@link KeyOrderInLmdbTest} checks LMDB agrees). */
class CodecsTest {
  /** A record codec of the kind origin tables use, built from the writer and reader. */
  record Attr(long inode, int mode, String owner, byte[] wrapped, boolean dir) {}

  static final Codec<Attr> ATTR = Codec.of(
      (a, out) -> out.writeLong(a.inode).writeInt(a.mode).writeString(a.owner).writeBytes(a.wrapped).writeBoolean(a.dir),
      in -> new Attr(in.readLong(), in.readInt(), in.readString(), in.readBytes(), in.readBoolean()));

  @Provide
  static Arbitrary<String> names() {
    // Any Unicode scalar value, including NUL and characters above U+FFFF; no lone surrogates.
    Arbitrary<Integer> codePoints = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, Arbitraries.integers().between(0, 0x7f)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x80, 0xd7ff)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0xe000, 0xffff)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x10000, 0x10ffff)));
    return codePoints.list().ofMaxSize(12).map(cps -> {
      StringBuilder sb = new StringBuilder();
      cps.forEach(sb::appendCodePoint);
      return sb.toString();
    });
  }

  @Provide
  static Arbitrary<Long> longs() {
    return Arbitraries.oneOf(Arbitraries.longs(),
        Arbitraries.of(Long.MIN_VALUE, -1L, 0L, 1L, 255L, 256L, Long.MAX_VALUE),
        Arbitraries.longs().between(-1000, 1000));
  }

  @Property
  void sortableLongRoundTrips(@ForAll("longs") long v) {
    assertThat(Codecs.SORTABLE_LONG.decode(Codecs.SORTABLE_LONG.encode(v))).isEqualTo(v);
    assertThat(Codecs.LONG.decode(Codecs.LONG.encode(v))).isEqualTo(v);
  }

  @Property
  void sortableLongBytesSortAsTheValues(@ForAll("longs") long a, @ForAll("longs") long b) {
    int bytes = Arrays.compareUnsigned(Codecs.SORTABLE_LONG.encode(a), Codecs.SORTABLE_LONG.encode(b));
    assertThat(Integer.signum(bytes)).isEqualTo(Integer.signum(Long.compare(a, b)));
  }

  @Property
  void childKeyRoundTrips(@ForAll("longs") long parent, @ForAll("names") String name) {
    ChildKey k = new ChildKey(parent, name);
    assertThat(Codecs.CHILD_KEY.decode(Codecs.CHILD_KEY.encode(k))).isEqualTo(k);
  }

  @Property
  void childKeyBytesSortByParentThenName(@ForAll("longs") long p1, @ForAll("names") String n1,
      @ForAll("longs") long p2, @ForAll("names") String n2) {
    ChildKey a = new ChildKey(p1, n1);
    ChildKey b = new ChildKey(p2, n2);
    int bytes = Arrays.compareUnsigned(Codecs.CHILD_KEY.encode(a), Codecs.CHILD_KEY.encode(b));
    assertThat(Integer.signum(bytes)).isEqualTo(Integer.signum(a.compareTo(b)));
  }

  @Property
  void utf8RoundTripsAndSortsByCodePoint(@ForAll("names") String a, @ForAll("names") String b) {
    assertThat(Codecs.UTF8.decode(Codecs.UTF8.encode(a))).isEqualTo(a);
    int bytes = Arrays.compareUnsigned(Codecs.UTF8.encode(a), Codecs.UTF8.encode(b));
    assertThat(Integer.signum(bytes)).isEqualTo(Integer.signum(ChildKey.compareCodePoints(a, b)));
  }

  @Property
  void blockIdRoundTripsAndSortsAsCompareTo(@ForAll @Size(32) byte[] x, @ForAll @Size(32) byte[] y) {
    BlockId a = BlockId.of(x);
    BlockId b = BlockId.of(y);
    assertThat(Codecs.BLOCK_ID.decode(Codecs.BLOCK_ID.encode(a))).isEqualTo(a);
    int bytes = Arrays.compareUnsigned(Codecs.BLOCK_ID.encode(a), Codecs.BLOCK_ID.encode(b));
    assertThat(Integer.signum(bytes)).isEqualTo(Integer.signum(a.compareTo(b)));
  }

  @Property
  void recordRoundTrips(@ForAll long inode, @ForAll int mode, @ForAll("names") String owner,
      @ForAll @Size(max = 100) byte[] wrapped, @ForAll boolean dir) {
    Attr back = ATTR.decode(ATTR.encode(new Attr(inode, mode, owner, wrapped, dir)));
    assertThat(back.inode()).isEqualTo(inode);
    assertThat(back.mode()).isEqualTo(mode);
    assertThat(back.owner()).isEqualTo(owner);
    assertThat(back.wrapped()).isEqualTo(wrapped);
    assertThat(back.dir()).isEqualTo(dir);
  }

  @Property
  void truncatedRecordIsCorruptNotAnotherException(@ForAll long inode, @ForAll("names") String owner,
      @ForAll @Size(max = 40) byte[] wrapped) {
    byte[] whole = ATTR.encode(new Attr(inode, 0755, owner, wrapped, true));
    for (int cut = 0; cut < whole.length; cut++) {
      byte[] part = Arrays.copyOf(whole, cut);
      assertThatThrownBy(() -> ATTR.decode(part))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
          .hasMessageContaining("corrupt record");
    }
  }

  @Example
  void hugeLengthPrefixFailsBeforeAllocating() {
    byte[] bogus = new BinaryWriter(16, 16).writeInt(Integer.MAX_VALUE).writeByte(1).toByteArray();
    assertThatThrownBy(() -> new BinaryReader(bogus).readBytes())
        .isInstanceOf(OutpostException.class)
        .hasMessageContaining("only 1 bytes remain");
    byte[] negative = new BinaryWriter(16, 16).writeInt(-5).toByteArray();
    assertThatThrownBy(() -> new BinaryReader(negative).readString())
        .isInstanceOf(OutpostException.class)
        .hasMessageContaining("negative length");
  }

  @Example
  void trailingBytesAreCorrupt() {
    byte[] nine = new BinaryWriter(16, 16).writeLong(1).writeByte(0).toByteArray();
    assertThatThrownBy(() -> Codecs.LONG.decode(nine)).hasMessageContaining("1 unexpected trailing bytes");
  }

  @Example
  void invalidUtf8IsCorrupt() {
    assertThatThrownBy(() -> Codecs.UTF8.decode(new byte[] {(byte) 0xc3}))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));
  }

  @Example
  void loneSurrogateIsRefusedNotReplaced() {
    assertThatThrownBy(() -> Codecs.UTF8.encode("a\ud800b"))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("unpaired surrogate at index 1");
    assertThatThrownBy(() -> Codecs.UTF8.encode("x\udc00"))
        .isInstanceOf(OutpostException.class);
    assertThat(Codecs.UTF8.decode(Codecs.UTF8.encode("\ud83d\ude00"))).isEqualTo("\ud83d\ude00");
  }

  @Example
  void writerRefusesToPassItsMaximumAndGrowsUpToIt() {
    BinaryWriter w = new BinaryWriter(1, 12);
    w.writeLong(7).writeInt(9);
    assertThat(w.size()).isEqualTo(12);
    assertThatThrownBy(() -> w.writeByte(0))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessage("record too large: 13 bytes, at most 12");
    assertThat(new BinaryReader(w.reset().writeSortableLong(-2).toByteArray()).readSortableLong()).isEqualTo(-2);
  }

  @Example
  void booleanOtherThanZeroOrOneIsCorrupt() {
    assertThatThrownBy(() -> new BinaryReader(new byte[] {2}).readBoolean()).hasMessageContaining("boolean byte 2");
  }
}
