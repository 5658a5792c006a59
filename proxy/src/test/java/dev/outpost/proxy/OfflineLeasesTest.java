package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.client.Lease;
import dev.outpost.client.LeaseListing;
import dev.outpost.client.OutpostClient;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.proxy.upstream.LinkState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases through a proxy cut off from the origin (ADR 0004 link states): none can be acquired or renewed — OFFLINE
 * at once, not after a wait — and the ones its clients hold are listed as unverifiable since the link went down;
 * once the link is back the holder's renewals verify its lease again.
 */
@Timeout(120)
class OfflineLeasesTest {
  @TempDir
  Path dir;

  @Test
  void whileDisconnectedLeasesFailFastOfflineAndHeldOnesAreUnverifiable() throws Exception {
    try (ProxyFixture f = ProxyFixture.viaWan(dir, "disconnected:\n  graceMillis: 100\n")) {
      OutpostClient branch = f.viaProxy();
      // Renewed every 2 s; the cut below lasts about one renewal, well within the ttl.
      Lease held = branch.lease("/plan.txt", LeaseMode.EXCLUSIVE, false, Duration.ofSeconds(6));
      CompletableFuture<Instant> unverifiable = new CompletableFuture<>();
      held.onUnverifiable(unverifiable::complete);
      LeaseListing connected = branch.leases("/");
      assertThat(connected.unverifiableSince()).isEmpty();
      assertThat(connected.leases()).extracting(LeaseInfo::token).containsExactly(held.token());

      f.wan.refuse(true);
      f.wan.cutAll();
      while (f.proxy.linkState() != LinkState.DISCONNECTED) {
        Thread.sleep(10);
      }
      long asked = System.nanoTime();
      assertThatThrownBy(() -> branch.lease("/other.txt", LeaseMode.SHARED, false, Duration.ofSeconds(30)))
          .isInstanceOfSatisfying(OutpostException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.OFFLINE);
            assertThat(e.getMessage()).contains("cannot be granted").contains("cut off from the origin since");
          });
      // Fail fast: nowhere near the proxy's request timeout or the client's connect timeout (a hang guard only).
      assertThat(System.nanoTime() - asked).isLessThan(TimeUnit.SECONDS.toNanos(5));
      assertThatThrownBy(() -> branch.renewLease("/plan.txt", held.token(), Duration.ofSeconds(30)))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OFFLINE));

      LeaseListing cut = branch.leases("/");
      assertThat(cut.unverifiableSince()).isPresent();
      assertThat(cut.leases()).singleElement().satisfies(l -> {
        assertThat(l.token()).isEqualTo(held.token());
        assertThat(l.path()).isEqualTo("/plan.txt");
        assertThat(l.mode()).isEqualTo(LeaseMode.EXCLUSIVE);
      });
      assertThat(branch.leases("/elsewhere").leases()).isEmpty();
      // The holder's own renewals are refused OFFLINE: it says so, and keeps the lease (not lost yet).
      Instant since = unverifiable.get(30, TimeUnit.SECONDS);
      assertThat(held.unverifiableSince()).contains(since);
      assertThat(held.isHeld()).isTrue();

      f.wan.refuse(false);
      while (held.unverifiableSince().isPresent()) {
        assertThat(held.isHeld()).as("renewed before its ttl ran out").isTrue();
        Thread.sleep(20);
      }
      while (f.proxy.linkState() == LinkState.DISCONNECTED) {
        Thread.sleep(10);
      }
      assertThat(branch.leases("/").unverifiableSince()).isEmpty();
      held.close();
      assertThat(branch.leases("/").leases()).isEmpty();
    }
  }
}
