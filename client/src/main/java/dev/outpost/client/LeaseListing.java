package dev.outpost.client;

import dev.outpost.protocol.LeaseInfo;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The live leases overlapping a path, in token order, from {@link OutpostClient#leases}.
 *
 * @param path where the listing looked
 * @param leases holder, mode, token (epoch), expiry and recall of each (an immutable list)
 * @param unverifiableSince empty when the origin answered; otherwise the time since which the branch proxy that
 *     answered had not heard from the origin: the list is what it knew of its own clients' leases then, and none
 *     of them can be verified (each may have lapsed or been taken over since)
 */
public record LeaseListing(String path, List<LeaseInfo> leases, Optional<Instant> unverifiableSince) {
  public LeaseListing {
    leases = List.copyOf(leases);
  }
}
