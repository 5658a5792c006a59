package dev.outpost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ThrottleTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final Throttle throttle = new Throttle(Duration.ofSeconds(10), now::get);

  @Test
  void theFirstEventPassesAndTheRestOfTheIntervalIsCounted() {
    assertThat(throttle.pass()).isZero();
    for (int i = 0; i < 4_717; i++) {
      now.addAndGet(1_000_000); // 1 ms apart: 4.7 s in all, still inside the interval
      assertThat(throttle.pass()).isEqualTo(-1);
    }
    now.addAndGet(Duration.ofSeconds(6).toNanos());
    assertThat(throttle.pass()).as("the next one let through reports what was held").isEqualTo(4_717);
    assertThat(throttle.pass()).isEqualTo(-1);
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(throttle.pass()).isEqualTo(1);
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(throttle.pass()).isZero();
  }

  @Test
  void theNoteSaysHowManyALineStandsFor() {
    assertThat(Throttle.heldNote(0)).isEmpty();
    assertThat(Throttle.heldNote(4_717)).isEqualTo(" (4717 more since the last report)");
  }

  @Test
  void aNonPositiveIntervalIsRefused() {
    assertThatThrownBy(() -> new Throttle(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }
}
