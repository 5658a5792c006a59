package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gate every FUSE callback passes: counts those inside, turns new ones away once shut. */
@Timeout(30)
class UpcallGateTest {
  @Test
  void callbacksAreCountedAndTurnedAwayOnceShut() {
    UpcallGate gate = new UpcallGate();
    assertThat(gate.enter()).isTrue();
    assertThat(gate.enter()).isTrue();
    assertThat(gate.running()).isEqualTo(2);
    gate.shut();
    assertThat(gate.isShut()).isTrue();
    assertThat(gate.enter()).isFalse();
    assertThat(gate.enter()).isFalse();
    assertThat(gate.refused()).isEqualTo(2);
    assertThat(gate.running()).as("those inside go on").isEqualTo(2);
    gate.exit();
    gate.exit();
    assertThat(gate.running()).isZero();
  }

  @Test
  void awaitIdleReturnsWhenTheLastCallbackLeavesAndFailsAtTheDeadlineOtherwise() throws Exception {
    UpcallGate gate = new UpcallGate();
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch leave = new CountDownLatch(1);
    CompletableFuture<Void> callback = CompletableFuture.runAsync(() -> {
      gate.enter();
      inside.countDown();
      try {
        leave.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        gate.exit();
      }
    });
    inside.await();
    gate.shut();
    assertThat(gate.awaitIdle(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50))).isFalse();
    leave.countDown();
    assertThat(gate.awaitIdle(System.nanoTime() + TimeUnit.SECONDS.toNanos(20))).isTrue();
    callback.get(10, TimeUnit.SECONDS);
  }
}
