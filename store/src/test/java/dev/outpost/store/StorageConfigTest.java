package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import org.junit.jupiter.api.Test;

class StorageConfigTest {
  @Test
  void acceptsValidValues() {
    StorageConfig c = new StorageConfig(StorageConfig.MIN_MAP_BYTES, StorageConfig.MIN_MAP_BYTES, 1, true);
    assertThat(c.withDurable(false).durable()).isFalse();
    assertThat(c.withDurable(false).maxReaders()).isEqualTo(1);
  }

  @Test
  void tooSmallInitialMapNamesTheFieldAndRange() {
    assertThatThrownBy(() -> new StorageConfig(1000, 1 << 30, 8, true))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("initialMapBytes = 1000")
        .hasMessageContaining("65536..");
  }

  @Test
  void maxMapBelowInitialIsRefused() {
    assertThatThrownBy(() -> new StorageConfig(1 << 20, 1 << 19, 8, true))
        .isInstanceOf(OutpostException.class)
        .hasMessageContaining("maxMapBytes = 524288")
        .hasMessageContaining("initialMapBytes (1048576)");
  }

  @Test
  void maxMapAboveLimitIsRefused() {
    assertThatThrownBy(() -> new StorageConfig(1 << 20, Long.MAX_VALUE, 8, true))
        .isInstanceOf(OutpostException.class)
        .hasMessageContaining("maxMapBytes");
  }

  @Test
  void readersOutsideRangeAreRefused() {
    assertThatThrownBy(() -> new StorageConfig(1 << 20, 1 << 20, 0, true))
        .isInstanceOf(OutpostException.class)
        .hasMessageContaining("maxReaders = 0")
        .hasMessageContaining("1..16384");
    assertThatThrownBy(() -> new StorageConfig(1 << 20, 1 << 20, 100_000, true))
        .isInstanceOf(OutpostException.class)
        .hasMessageContaining("maxReaders = 100000");
  }
}
