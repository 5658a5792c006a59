package dev.outpost.fuse;

import dev.outpost.protocol.LeaseMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The byte ranges one fcntl lock owner holds on one file, with POSIX's rules: locking a range replaces what the
 * owner held there (an upgrade, a downgrade), unlocking one removes only it, splitting a range around it. The
 * mount locks whole files, so only the strongest mode left matters ({@link #mode()}); keeping the ranges means a
 * program that unlocks part of what it holds (SQLite drops its PENDING byte and keeps SHARED) keeps the rest.
 * Immutable; at most {@value #MAX_RANGES} ranges.
 */
final class LockRanges {
  static final int MAX_RANGES = 1024;
  /** Exclusive end of a lock "to the end of the file and beyond" (l_len 0). */
  static final long TO_END = Long.MAX_VALUE;
  static final LockRanges NONE = new LockRanges(List.of());

  private record Range(long start, long end, boolean exclusive) {}

  private final List<Range> ranges;

  private LockRanges(List<Range> ranges) {
    this.ranges = ranges;
  }

  /**
   * These ranges with [{@code start}, {@code end}) set to {@code mode} (empty = unlocked).
   *
   * @return empty if the result would hold more than {@link #MAX_RANGES} ranges
   */
  Optional<LockRanges> with(long start, long end, Optional<LeaseMode> mode) {
    List<Range> out = new ArrayList<>(ranges.size() + 2);
    for (Range r : ranges) {
      if (r.end() <= start || r.start() >= end) {
        out.add(r);
        continue;
      }
      if (r.start() < start) {
        out.add(new Range(r.start(), start, r.exclusive()));
      }
      if (r.end() > end) {
        out.add(new Range(end, r.end(), r.exclusive()));
      }
    }
    mode.ifPresent(m -> out.add(new Range(start, end, m == LeaseMode.EXCLUSIVE)));
    if (out.size() > MAX_RANGES) {
      return Optional.empty();
    }
    return Optional.of(new LockRanges(List.copyOf(out)));
  }

  boolean isEmpty() {
    return ranges.isEmpty();
  }

  /** The strongest mode held: exclusive if any range is, shared if only shared ones are, empty if none. */
  Optional<LeaseMode> mode() {
    if (ranges.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(ranges.stream().anyMatch(Range::exclusive) ? LeaseMode.EXCLUSIVE : LeaseMode.SHARED);
  }

  /**
   * The range a {@code struct flock} names, as [start, end): l_start from the file's start (libfuse always passes
   * SEEK_SET), l_len 0 = to the end, a negative l_len the bytes before l_start.
   *
   * @return empty for a range that starts before 0 or overflows
   */
  static Optional<long[]> range(long start, long len) {
    long s = start;
    long e;
    if (len == 0) {
      e = TO_END;
    } else if (len > 0) {
      e = start > TO_END - len ? TO_END : start + len;
    } else {
      s = start + len;
      e = start;
    }
    if (s < 0 || e <= s) {
      return Optional.empty();
    }
    return Optional.of(new long[] {s, e});
  }
}
