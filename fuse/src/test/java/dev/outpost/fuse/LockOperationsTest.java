package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.protocol.LeaseMode;
import java.util.Optional;
import org.cryptomator.jfuse.linux.amd64.extr.fuse3.fuse_file_info;
import org.cryptomator.jfuse.linux.amd64.extr.fuse3.fuse_operations;
import org.junit.jupiter.api.Test;

/** The native layouts the lock upcalls rely on, and the fcntl range rules, without a mount. */
class LockOperationsTest {
  @Test
  void theOffsetsAreThoseOfJfusesGeneratedLibfuse3Layout() {
    assertThat(LockOperations.LOCK_OFFSET).isEqualTo(fuse_operations.lock$offset());
    assertThat(LockOperations.FLOCK_OFFSET).isEqualTo(fuse_operations.flock$offset());
    assertThat(LockOperations.FI_FH_OFFSET).isEqualTo(fuse_file_info.fh$offset());
    assertThat(LockOperations.FI_LOCK_OWNER_OFFSET).isEqualTo(fuse_file_info.lock_owner$offset());
  }

  @Test
  void rangesFollowPosixAndWidenOnlyInTheirMode() {
    assertThat(LockRanges.range(0, 0)).hasValueSatisfying(r -> assertThat(r).containsExactly(0, LockRanges.TO_END));
    assertThat(LockRanges.range(10, -4)).hasValueSatisfying(r -> assertThat(r).containsExactly(6, 10));
    assertThat(LockRanges.range(2, -4)).isEmpty();
    assertThat(LockRanges.range(Long.MAX_VALUE - 1, 10)).hasValueSatisfying(
        r -> assertThat(r).containsExactly(Long.MAX_VALUE - 1, LockRanges.TO_END));

    // SQLite's pattern: a shared range, a write lock on one byte, then that byte unlocked: shared remains.
    LockRanges shared = LockRanges.NONE.with(100, 200, Optional.of(LeaseMode.SHARED)).orElseThrow();
    LockRanges reserved = shared.with(50, 51, Optional.of(LeaseMode.EXCLUSIVE)).orElseThrow();
    assertThat(reserved.mode()).contains(LeaseMode.EXCLUSIVE);
    LockRanges back = reserved.with(50, 51, Optional.empty()).orElseThrow();
    assertThat(back.mode()).contains(LeaseMode.SHARED);
    // Unlocking the middle of a range splits it; unlocking everything leaves nothing.
    LockRanges split = back.with(120, 130, Optional.empty()).orElseThrow();
    assertThat(split.mode()).contains(LeaseMode.SHARED);
    assertThat(split.with(0, LockRanges.TO_END, Optional.empty()).orElseThrow().isEmpty()).isTrue();
  }

  @Test
  void oneOwnerHoldsAtMostTheBoundOfRanges() {
    LockRanges r = LockRanges.NONE;
    for (int i = 0; i < LockRanges.MAX_RANGES; i++) {
      r = r.with(2L * i, 2L * i + 1, Optional.of(LeaseMode.SHARED)).orElseThrow();
    }
    assertThat(r.with(1L << 40, (1L << 40) + 1, Optional.of(LeaseMode.SHARED))).isEmpty();
    // Unlocking one of them is always possible.
    assertThat(r.with(0, 1, Optional.empty())).isPresent();
  }
}
