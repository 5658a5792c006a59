package dev.outpost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VolumePathTest {
  @ParameterizedTest
  @ValueSource(strings = {"", "a", "a/b", "/a/", "//", "/a//b", "/.", "/..", "/a/../b", "/a/./b", "/a\0b", "/a/b/"})
  void refusesMalformedPaths(String path) {
    assertThatThrownBy(() -> VolumePath.check(path))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH));
  }

  /** UTF-8 cannot carry a lone surrogate: String.getBytes would store '?', aliasing another name. */
  @ParameterizedTest
  @ValueSource(strings = {"/a\uD800", "/\uD800b", "/\uDC00", "/x/\uDC00\uD800/y", "/ok\uD83D", "/\uDE00ok"})
  void refusesUnpairedSurrogates(String path) {
    assertThatThrownBy(() -> VolumePath.check(path))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH);
          assertThat(e.getMessage()).contains("unpaired surrogate");
        });
    for (String name : path.substring(1).split("/")) {
      if (name.chars().anyMatch(c -> Character.isSurrogate((char) c))) {
        assertThatThrownBy(() -> VolumePath.checkName(name)).as(name).isInstanceOf(OutpostException.class);
      }
    }
  }

  @Test
  void acceptsNonAsciiNamesAndSurrogatePairs() {
    for (String p : new String[] {"/caf\u00e9", "/cafe\u0301", "/\u65e5\u672c/\uD83D\uDE00", "/\uFFFD"}) {
      assertThat(VolumePath.check(p)).isEqualTo(p);
    }
    // 63 four-byte emoji are 252 bytes; the 64th passes the 255-byte limit of a name.
    assertThat(VolumePath.checkName("\uD83D\uDE00".repeat(63))).hasSize(126);
    assertThatThrownBy(() -> VolumePath.checkName("\uD83D\uDE00".repeat(64))).isInstanceOf(OutpostException.class);
  }

  @Test
  void refusesOverlongNames() {
    assertThatThrownBy(() -> VolumePath.check("/" + "x".repeat(256))).isInstanceOf(OutpostException.class);
    assertThat(VolumePath.check("/" + "x".repeat(255))).hasSize(256);
    assertThatThrownBy(() -> VolumePath.check(("/" + "y".repeat(200)).repeat(21))).isInstanceOf(OutpostException.class);
  }

  @Test
  void splitsAndJoins() {
    assertThat(VolumePath.parent("/a/b")).isEqualTo("/a");
    assertThat(VolumePath.parent("/a")).isEqualTo("/");
    assertThat(VolumePath.name("/a/b")).isEqualTo("b");
    assertThat(VolumePath.join("/", "a")).isEqualTo("/a");
    assertThat(VolumePath.join("/a", "b")).isEqualTo("/a/b");
    assertThat(VolumePath.components("/a/b")).containsExactly("a", "b");
    assertThat(VolumePath.isUnder("/a/b", "/a")).isTrue();
    assertThat(VolumePath.isUnder("/ab", "/a")).isFalse();
    assertThat(VolumePath.isUnder("/ab", "/")).isTrue();
  }

  @Property
  void anyStringIsEitherValidOrTypedError(@ForAll String path) {
    try {
      assertThat(VolumePath.check(path)).isEqualTo(path);
    } catch (OutpostException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH);
    }
  }

  @Test
  void blockIdRoundTripsHexAndOrders() {
    byte[] raw = new byte[32];
    raw[0] = 1;
    BlockId id = BlockId.of(raw);
    assertThat(BlockId.fromHex(id.hex())).isEqualTo(id);
    assertThat(id.compareTo(BlockId.of(new byte[32]))).isPositive();
    assertThatThrownBy(() -> BlockId.of(new byte[31])).isInstanceOf(OutpostException.class);
  }
}
