package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.protocol.OperationId;
import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Operation ids: one random originator, growing sequences, and a bounded spread of unanswered ones. */
@Timeout(60)
class OperationIdsTest {

  @Test
  void idsShareOneNonZeroOriginatorAndGrowFromOne() {
    OperationIds ids = new OperationIds(new SecureRandom(), 8);
    OperationId a = ids.next();
    OperationId b = ids.next();
    assertThat(a.originator()).isNotZero().isEqualTo(b.originator()).isEqualTo(ids.originator());
    assertThat(a.seq()).isEqualTo(1);
    assertThat(b.seq()).isEqualTo(2);
    assertThat(new OperationIds(new SecureRandom(), 8).originator()).as("each client its own")
        .isNotEqualTo(a.originator());
    assertThat(OperationIds.MAX_SPREAD).isLessThan(OperationId.WINDOW);
  }

  @Test
  void aNewIdWaitsUntilTheOldestUnansweredOneIsAnswered() throws Exception {
    OperationIds ids = new OperationIds(new SecureRandom(), 3);
    OperationId first = ids.next();
    OperationId second = ids.next();
    OperationId third = ids.next();
    Thread[] waiter = new Thread[1];
    CompletableFuture<OperationId> fourth = new CompletableFuture<>();
    waiter[0] = Thread.ofPlatform().start(() -> fourth.complete(ids.next()));
    awaitWaiting(waiter[0]);
    // Answering a later one does not help: the spread is measured from the oldest unanswered.
    ids.answered(third);
    ids.answered(second);
    awaitWaiting(waiter[0]);
    assertThat(fourth).isNotDone();
    ids.answered(first);
    assertThat(fourth.get(30, TimeUnit.SECONDS).seq()).isEqualTo(4);
    assertThat(ids.unanswered()).isEqualTo(1);
  }

  @Test
  void anInterruptedWaitFailsUnavailable() throws Exception {
    OperationIds ids = new OperationIds(new SecureRandom(), 1);
    ids.next();
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        ids.next();
        failure.complete(null);
      } catch (RuntimeException e) {
        failure.complete(e);
      }
    });
    awaitWaiting(t);
    t.interrupt();
    assertThat(failure.get(30, TimeUnit.SECONDS)).isInstanceOf(dev.outpost.core.OutpostException.class)
        .hasMessageContaining("interrupted");
    assertThatThrownBy(() -> new OperationIds(new SecureRandom(), OperationId.WINDOW))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void awaitWaiting(Thread t) throws InterruptedException {
    while (t.getState() != Thread.State.WAITING) {
      Thread.sleep(1);
    }
  }
}
