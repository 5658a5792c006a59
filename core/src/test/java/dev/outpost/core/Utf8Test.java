package dev.outpost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Utf8Test {
  private static final HexFormat HEX = HexFormat.of();

  @ParameterizedTest
  @ValueSource(strings = {
      "ff", "fe", "626164ff", "80", "bf", "c0af", "c1bf", "e080af", "f08080af", // stray, overlong
      "eda080", "edbfbf", "eda080edb080", // encoded surrogates, even as a "pair" (CESU-8)
      "f4908080", "f5808080", "f8888080", "fc8480808080", // above U+10FFFF, 5- and 6-byte forms
      "c3", "e697", "f09f98", "61e6", // truncated
      "e6e697a5", "c361"}) // a lead byte where a continuation byte belongs
  void refusesBytesThatAreNotUtf8(String hex) {
    assertThat(Utf8.decode(HEX.parseHex(hex))).as(hex).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "2f61", "c3a9", "65cc81", "e697a5e69cac", "f09f9880", "efbfbd", "ed9fbf", "ee8080",
      "f48fbfbf", "00"})
  void decodesUtf8ExactlyAndBack(String hex) {
    byte[] bytes = HEX.parseHex(hex);
    String s = Utf8.decode(bytes).orElseThrow();
    assertThat(Utf8.encode(s)).isEqualTo(bytes);
    assertThat(Utf8.length(s)).isEqualTo(bytes.length);
  }

  /** Any byte string decodes to text that encodes back to the same bytes, or is refused; never changed. */
  @Property(tries = 20_000)
  void randomBytesRoundTripOrAreRefused(@ForAll("utf8ish") byte[] bytes) {
    var decoded = Utf8.decode(bytes);
    assertThat(decoded.isPresent()).as(HEX.formatHex(bytes)).isEqualTo(wellFormed(bytes));
    decoded.ifPresent(s -> assertThat(Utf8.encode(s)).isEqualTo(bytes));
    Statistics.collect(decoded.isPresent() ? "valid" : "refused");
  }

  /** Any Java string encodes to bytes that decode back to it, or is refused for an unpaired surrogate. */
  @Property(tries = 20_000)
  void randomStringsRoundTripOrAreRefused(@ForAll("utf16ish") String s) {
    int unpaired = Utf8.indexOfUnpairedSurrogate(s);
    if (unpaired >= 0) {
      assertThat(Character.isSurrogate(s.charAt(unpaired))).isTrue();
      assertThat(Utf8.length(s)).isEqualTo(-1);
      assertThat(Utf8.mayBeLossy(s)).isTrue();
      assertThatThrownBy(() -> Utf8.encode(s)).isInstanceOfSatisfying(OutpostException.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
      assertThat(Utf8.indexOfUnpairedSurrogate(Utf8.escapeUnpaired(s))).isEqualTo(-1);
    } else {
      byte[] bytes = Utf8.encode(s);
      assertThat(bytes).isEqualTo(s.getBytes(StandardCharsets.UTF_8));
      assertThat(Utf8.length(s)).isEqualTo(bytes.length);
      assertThat(Utf8.decode(bytes)).contains(s);
      assertThat(Utf8.escapeUnpaired(s)).isSameAs(s);
    }
    Statistics.collect(unpaired >= 0 ? "unpaired" : "well-formed");
  }

  @Test
  void lossyLooking() {
    assertThat(Utf8.mayBeLossy("bad\uFFFD")).isTrue();
    assertThat(Utf8.mayBeLossy("a\uDC00")).isTrue();
    assertThat(Utf8.mayBeLossy("caf\u00e9 \uD83D\uDE00")).isFalse();
    assertThat(Utf8.escapeUnpaired("a\uD800b\uD83D\uDE00\uDFFF")).isEqualTo("a\\uD800b\uD83D\uDE00\\uDFFF");
  }

  /** Bytes biased towards UTF-8's interesting cases: lead bytes, continuation bytes, the surrogate block. */
  @Provide
  Arbitrary<byte[]> utf8ish() {
    Arbitrary<Integer> b = Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.integers().between(0x20, 0x7F)),
        Tuple.of(4, Arbitraries.integers().between(0x80, 0xBF)),
        Tuple.of(3, Arbitraries.integers().between(0xC0, 0xFF)),
        Tuple.of(1, Arbitraries.of(0xED, 0xE0, 0xF0, 0xF4, 0xA0, 0x9F, 0x90, 0x8F)));
    return b.list().ofMaxSize(12).map(list -> {
      byte[] out = new byte[list.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = (byte) (int) list.get(i);
      }
      return out;
    });
  }

  @Provide
  Arbitrary<String> utf16ish() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.chars().range('a', 'z')),
        Tuple.of(2, Arbitraries.chars().range('\u0080', '\uD7FF')),
        Tuple.of(2, Arbitraries.chars().range('\uD800', '\uDFFF')),
        Tuple.of(1, Arbitraries.chars().range('\uE000', '\uFFFF')))
        .list().ofMaxSize(10).map(cs -> {
          StringBuilder sb = new StringBuilder();
          cs.forEach(sb::append);
          return sb.toString();
        });
  }

  /** RFC 3629 section 4, written out independently of the JDK as the oracle. */
  private static boolean wellFormed(byte[] b) {
    int i = 0;
    while (i < b.length) {
      int c = b[i] & 0xFF;
      int need;
      int lo = 0x80;
      int hi = 0xBF;
      if (c < 0x80) {
        need = 0;
      } else if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
      } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
      } else {
        return false;
      }
      for (int k = 1; k <= need; k++) {
        if (i + k >= b.length) {
          return false;
        }
        int cc = b[i + k] & 0xFF;
        int min = k == 1 ? lo : 0x80;
        int max = k == 1 ? hi : 0xBF;
        if (cc < min || cc > max) {
          return false;
        }
      }
      i += need + 1;
    }
    return true;
  }
}
