package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.proxy.attrs.OriginAttrs;
import dev.outpost.proxy.upstream.LinkState;
import dev.outpost.proxy.warm.ListingWarmer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A warm job's listing phase with the origin gone: a stop ends it, a silent origin fails it UNAVAILABLE. */
class WarmListingTest {
  @TempDir
  Path dir;

  @Test
  void withTheOriginGoneTheListingPhaseStopsWhenToldAndFailsUnavailableWhenNothingAnswers() throws Exception {
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      OutpostClient direct = f.direct();
      direct.mkdir("/proj/a", true);
      direct.write("/proj/a/f.txt", "x".getBytes(), WriteOptions.DEFAULTS);
      f.awaitProxyCaughtUp();
      OriginAttrs ahead = new OriginAttrs(f.proxy.link(), f.proxy.attrs(), f.proxy.subscription());

      int port = f.stopOrigin();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (f.proxy.link().isUp() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(f.proxy.linkState()).isIn(LinkState.DEGRADED, LinkState.DISCONNECTED);

      // Requests wait for the link (requestTimeoutMillis); a stop request ends the walk without them.
      AtomicLong listed = new AtomicLong();
      long stopAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
      new ListingWarmer(ahead, 60_000).warm(List.of("/proj"), () -> System.nanoTime() > stopAt,
          listed::incrementAndGet);
      assertThat(listed).hasValue(0);

      assertThatThrownBy(() -> new ListingWarmer(ahead, 500).warm(List.of("/proj"), () -> false, () -> { }))
          .isInstanceOf(OutpostException.class)
          .extracting(e -> ((OutpostException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE);

      // Back up: the same walk lists /proj and /proj/a.
      f.startOriginOn(port);
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (f.proxy.linkState() != LinkState.CONNECTED && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      new ListingWarmer(ahead, 60_000).warm(List.of("/proj"), () -> false, listed::incrementAndGet);
      assertThat(listed).hasValue(2);
    }
  }
}
