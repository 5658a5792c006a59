package dev.outpost.protocol;

import java.util.List;

/**
 * A page of live leases, answering {@link LeaseList}, in token order.
 *
 * @param leases at most {@link LeaseList#MAX_ENTRIES} (an immutable copy)
 * @param more true if leases with larger tokens follow
 * @param staleSinceMillis 0 = the origin's current table; otherwise the time since which the answering proxy
 *     has not heard from the origin, and the list is what it knew of its own clients' leases then: none of
 *     them can be verified (they may have expired or been taken over at the origin meanwhile)
 */
public record Leases(List<LeaseInfo> leases, boolean more, long staleSinceMillis) implements Reply {
  public Leases {
    leases = Invariants.list(leases, 0, LeaseList.MAX_ENTRIES, "lease list");
    Invariants.atLeast(staleSinceMillis, 0, "stale-since time");
  }
}
