package dev.outpost.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.LeaseMode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class BranchLeasesTest {
  private final Clock clock = Clock.fixed(Instant.ofEpochMilli(1_000_000), ZoneOffset.UTC);

  @Test
  void keepsAtMostItsBoundForgettingTheOldestGrant() {
    BranchLeases b = new BranchLeases(clock, 3);
    for (long t = 1; t <= 5; t++) {
      b.granted(new LeaseGrant("/f" + t, LeaseMode.SHARED, t, 2_000_000), false, "alice");
    }
    assertThat(b.size()).isEqualTo(3);
    assertThat(b.list(new LeaseList("/", 0, 10), 5).leases()).extracting(LeaseInfo::token).containsExactly(3L, 4L, 5L);
  }

  @Test
  void listsWhatOverlapsUnexpiredStaleAndPaged() {
    BranchLeases b = new BranchLeases(clock);
    b.granted(new LeaseGrant("/p", LeaseMode.SHARED, 1, 2_000_000), true, "alice");
    b.granted(new LeaseGrant("/p/a", LeaseMode.EXCLUSIVE, 2, 2_000_000), false, "bob");
    b.granted(new LeaseGrant("/q", LeaseMode.EXCLUSIVE, 3, 2_000_000), false, "bob");
    b.granted(new LeaseGrant("/p/old", LeaseMode.EXCLUSIVE, 4, 999_999), false, "bob"); // expired locally
    var all = b.list(new LeaseList("/", 0, 10), 42);
    assertThat(all.staleSinceMillis()).isEqualTo(42);
    assertThat(all.leases()).extracting(LeaseInfo::token).containsExactly(1L, 2L, 3L);
    assertThat(b.list(new LeaseList("/p/a/x", 0, 10), 1).leases()).extracting(LeaseInfo::token).containsExactly(1L);
    var page = b.list(new LeaseList("/p", 0, 1), 1);
    assertThat(page.more()).isTrue();
    assertThat(b.list(new LeaseList("/p", 1, 1), 1).leases()).extracting(LeaseInfo::token).containsExactly(2L);
    // A renewal keeps the subtree flag and the holder of record; a release forgets it.
    b.granted(new LeaseGrant("/p", LeaseMode.SHARED, 1, 3_000_000), false, "alice");
    assertThat(b.list(new LeaseList("/p", 0, 1), 1).leases().getFirst().subtree()).isTrue();
    b.gone(1);
    assertThat(b.list(new LeaseList("/", 0, 10), 1).leases()).extracting(LeaseInfo::token).containsExactly(2L, 3L);
  }
}
