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
