package dev.outpost.proxy.warm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
  @Test
  void startsEmptySoTheFirstBytesWaitTheirShare() {
    AtomicLong now = new AtomicLong(1_000);
    TokenBucket b = new TokenBucket(1000, 500, now::get);
    assertThat(b.reserveNanos(100)).isEqualTo(100_000_000L); // 100 bytes at 1000 B/s
  }

  @Test
  void longRunMovesExactlyTheRateWhateverTheBatchSizes() {
    AtomicLong now = new AtomicLong();
    TokenBucket b = new TokenBucket(1 << 20, 256 << 10, now::get);
    long moved = 0;
    int[] sizes = {65_536, 1_000, 200_000, 17, 262_144, 4_096};
    for (int i = 0; i < 600; i++) {
      int n = sizes[i % sizes.length];
      now.addAndGet(b.reserveNanos(n)); // the caller sleeps exactly as told
      moved += n;
    }
    double seconds = now.get() / 1e9;
    assertThat(moved / seconds).isCloseTo(1 << 20, org.assertj.core.data.Percentage.withPercentage(1));
  }

  @Test
  void idleTimeRefillsOnlyUpToTheBurst() {
    AtomicLong now = new AtomicLong();
    TokenBucket b = new TokenBucket(1000, 500, now::get);
    now.addAndGet(60_000_000_000L); // a minute idle would be 60 000 bytes without the cap
    assertThat(b.reserveNanos(500)).isZero();
    assertThat(b.reserveNanos(1000)).isEqualTo(1_000_000_000L);
  }
}
