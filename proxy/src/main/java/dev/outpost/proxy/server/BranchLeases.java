package dev.outpost.proxy.server;

import dev.outpost.core.VolumePath;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.Leases;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The leases this proxy's clients hold as the origin last granted or renewed them, so that LEASE_LIST can be
 * answered while the origin cannot be reached: "unverifiable since T" (each may have lapsed or been taken over
 * there meanwhile). Only a record of what went through: the origin stays the only judge of a lease.
 *
 * <p>Bounded: at most {@link #MAX_LEASES}; past that the oldest grant is forgotten (the listing may then miss a
 * lease, never show a false one). Thread-safe.
 */
final class BranchLeases {
  static final int MAX_LEASES = 4096;

  private record Held(LeaseInfo info) {}

  private final Clock clock;
  private final int maxLeases;
  /** By token: the oldest grant is the first. */
  private final TreeMap<Long, Held> byToken = new TreeMap<>();

  BranchLeases(Clock clock) {
    this(clock, MAX_LEASES);
  }

  BranchLeases(Clock clock, int maxLeases) {
    this.clock = clock;
    this.maxLeases = maxLeases;
  }

  /** The origin granted (or renewed) {@code g} to a client whose token names {@code holder}. */
  synchronized void granted(LeaseGrant g, boolean subtree, String holder) {
    Held old = byToken.get(g.token());
    boolean sub = old != null ? old.info().subtree() : subtree;
    byToken.put(g.token(), new Held(new LeaseInfo(g.path(), g.mode(), sub, g.token(), holder, g.expiresAtMillis(),
        false)));
    while (byToken.size() > maxLeases) {
      byToken.pollFirstEntry();
    }
  }

  /** Released, or found not current (FENCED). */
  synchronized void gone(long token) {
    byToken.remove(token);
  }

  synchronized int size() {
    return byToken.size();
  }

  /**
   * What LEASE_LIST would list from this record: the leases overlapping {@code r.path()} that have not expired by
   * the local clock, flagged stale since {@code staleSinceMillis}.
   */
  synchronized Leases list(LeaseList r, long staleSinceMillis) {
    long now = clock.millis();
    List<LeaseInfo> page = new ArrayList<>();
    boolean more = false;
    for (Held h : byToken.tailMap(r.afterToken(), false).values()) {
      LeaseInfo l = h.info();
      if (l.expiresAtMillis() <= now || !overlaps(l, r.path())) {
        continue;
      }
      if (page.size() == r.maxEntries()) {
        more = true;
        break;
      }
      page.add(l);
    }
    return new Leases(page, more, Math.max(1, staleSinceMillis));
  }

  private static boolean overlaps(LeaseInfo l, String path) {
    return l.path().equals(path) || VolumePath.isUnder(l.path(), path) || (l.subtree() && VolumePath.isUnder(path,
        l.path()));
  }
}
