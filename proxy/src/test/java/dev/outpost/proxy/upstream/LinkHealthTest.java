package dev.outpost.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.proxy.metrics.ProxyMetrics;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The state rules of ADR 0004 on a stepped clock: what the link reports in, which state comes out, when, and
 * what listeners, the status and the metrics see. (LinkTest drives the same class through a real link.)
 */
class LinkHealthTest {
  private static final long GRACE_MILLIS = 5_000;
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AtomicLong wallMillis = new AtomicLong(Instant.parse("2026-12-04T10:00:00Z").toEpochMilli());
  private final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(wallMillis.get());
    }
  };
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final ProxyMetrics metrics = new ProxyMetrics();
  private final LinkHealth health = new LinkHealth(clock, nanos::get, GRACE_MILLIS, timer, metrics);
  private final List<LinkHealth.Change> changes = new ArrayList<>();

  {
    health.onChange(changes::add);
  }

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  private void step(long millis) {
    nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    wallMillis.addAndGet(millis);
  }

  private List<LinkState> states() {
    return changes.stream().map(LinkHealth.Change::to).toList();
  }

  @Test
  void neverConnectedIsDisconnectedAndAConnectionMakesItConnected() {
    assertThat(health.state()).isEqualTo(LinkState.DISCONNECTED);
    assertThat(health.status().since()).isEqualTo(Instant.parse("2026-12-04T10:00:00Z"));
    health.attemptFailed("cannot reach hq:7070: Connection refused");
    assertThat(health.state()).isEqualTo(LinkState.DISCONNECTED);
    assertThat(health.status().lastError()).hasValueSatisfying(e -> {
      assertThat(e.message()).isEqualTo("cannot reach hq:7070: Connection refused");
      assertThat(e.at()).isEqualTo(Instant.parse("2026-12-04T10:00:00Z"));
    });

    step(1_500);
    health.up();
    assertThat(changes).containsExactly(new LinkHealth.Change(LinkState.DISCONNECTED, LinkState.CONNECTED,
        Instant.parse("2026-12-04T10:00:01.500Z")));
    assertThat(health.status().since()).isEqualTo(Instant.parse("2026-12-04T10:00:01.500Z"));
    assertThat(health.status().up()).isTrue();
    assertThat(health.status().lastError()).as("kept after recovery").isPresent();
  }

  @Test
  void aLostLinkIsDegradedForTheGraceThenDisconnectedAndConnectedOnceBack() {
    health.up();
    step(10_000);
    health.lost("closed by the server");
    assertThat(health.state()).isEqualTo(LinkState.DEGRADED);
    assertThat(health.status().up()).isFalse();
    assertThat(health.status().lastError().orElseThrow().message()).isEqualTo("connection lost: closed by the server");

    step(GRACE_MILLIS - 1);
    health.refresh();
    health.attemptFailed("cannot reach hq:7070: Connection refused"); // attempts fail meanwhile: still degraded
    assertThat(health.state()).isEqualTo(LinkState.DEGRADED);
    step(1);
    health.refresh();
    assertThat(health.state()).isEqualTo(LinkState.DISCONNECTED);
    assertThat(health.status().since()).isEqualTo(Instant.parse("2026-12-04T10:00:15Z"));

    step(60_000);
    health.up();
    assertThat(states()).containsExactly(LinkState.CONNECTED, LinkState.DEGRADED, LinkState.DISCONNECTED,
        LinkState.CONNECTED);
    assertThat(changes.get(2).from()).isEqualTo(LinkState.DEGRADED);
  }

  @Test
  void aReconnectionWithinTheGraceNeverShowsDisconnected() {
    health.up();
    health.lost("Connection reset by peer");
    step(GRACE_MILLIS / 2);
    health.up();
    step(GRACE_MILLIS * 2);
    health.refresh();
    assertThat(states()).containsExactly(LinkState.CONNECTED, LinkState.DEGRADED, LinkState.CONNECTED);
  }

  @Test
  void withNoGraceALostLinkIsDisconnectedAtOnce() {
    LinkHealth noGrace = new LinkHealth(clock, nanos::get, 0, timer, new ProxyMetrics());
    noGrace.up();
    noGrace.lost("closed by the server");
    assertThat(noGrace.state()).isEqualTo(LinkState.DISCONNECTED);
  }

  @Test
  void anOverdueHeartbeatDegradesALiveLinkUntilTheOriginIsHeardAgain() {
    health.up();
    health.overdue(true);
    assertThat(health.state()).isEqualTo(LinkState.DEGRADED);
    assertThat(health.status().up()).isTrue();
    assertThat(health.status().lastError().orElseThrow().message()).isEqualTo("no answer to a heartbeat");
    health.overdue(false);
    assertThat(health.state()).isEqualTo(LinkState.CONNECTED);

    // Overdue, then lost: degraded throughout, disconnected once the grace after the loss is over.
    health.overdue(true);
    step(2_000);
    health.lost("no answer for 6000 ms (heartbeat timeout)");
    step(GRACE_MILLIS);
    health.refresh();
    assertThat(states()).containsExactly(LinkState.CONNECTED, LinkState.DEGRADED, LinkState.CONNECTED,
        LinkState.DEGRADED, LinkState.DISCONNECTED);
    health.overdue(false); // a late word about a connection that is gone changes nothing
    assertThat(health.state()).isEqualTo(LinkState.DISCONNECTED);
  }

  @Test
  void replayingIsSetByTheWriteBackHookWhileConnected() {
    health.up();
    health.setReplaying(true);
    assertThat(health.state()).isEqualTo(LinkState.REPLAYING);
    health.overdue(true);
    assertThat(health.state()).isEqualTo(LinkState.DEGRADED);
    health.overdue(false);
    assertThat(health.state()).isEqualTo(LinkState.REPLAYING);
    // While down the log cannot replay: the link's own state shows; back up, it replays again.
    health.lost("Connection reset by peer");
    assertThat(health.state()).isEqualTo(LinkState.DEGRADED);
    health.up();
    assertThat(health.state()).isEqualTo(LinkState.REPLAYING);
    health.setReplaying(false);
    assertThat(health.state()).isEqualTo(LinkState.CONNECTED);
    assertThat(states()).containsExactly(LinkState.CONNECTED, LinkState.REPLAYING, LinkState.DEGRADED,
        LinkState.REPLAYING, LinkState.DEGRADED, LinkState.REPLAYING, LinkState.CONNECTED);
  }

  @Test
  void aListenerSettingReplayingSeesEveryChangeInOrder() {
    health.onChange(c -> {
      if (c.to() == LinkState.CONNECTED) {
        health.setReplaying(true); // re-entrant: delivered after this change, not inside it
      }
    });
    health.up();
    assertThat(states()).containsExactly(LinkState.CONNECTED, LinkState.REPLAYING);
  }

  @Test
  void theGraceEndsByItselfOnTheTimer() throws InterruptedException {
    LinkHealth shortGrace = new LinkHealth(Clock.systemUTC(), System::nanoTime, 50, timer, new ProxyMetrics());
    shortGrace.up();
    shortGrace.lost("closed by the server");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (shortGrace.state() != LinkState.DISCONNECTED) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void metricsShowOneGaugePerStateAndTheTimeOfTheLastChange() {
    health.up();
    step(3_000);
    health.lost("closed by the server");
    @SuppressWarnings("unchecked")
    Map<String, Long> gauges = (Map<String, Long>) metrics.registry().getGauges().get(ProxyMetrics.LINK_STATE).getValue();
    assertThat(gauges).containsExactlyInAnyOrderEntriesOf(Map.of("connected", 0L, "degraded", 1L,
        "disconnected", 0L, "replaying", 0L));
    assertThat(metrics.count(ProxyMetrics.LINK_STATE_CHANGED)).isEqualTo(Instant.parse("2026-12-04T10:00:03Z").getEpochSecond());
  }

  @Test
  void closingMakesItDisconnected() {
    health.up();
    health.closed();
    assertThat(health.state()).isEqualTo(LinkState.DISCONNECTED);
    assertThat(health.status().up()).isFalse();
  }
}
