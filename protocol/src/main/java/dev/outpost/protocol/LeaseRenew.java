package dev.outpost.protocol;

/**
 * Extends a held lease. Answered by {@link LeaseGrant}, or FENCED if the token is no longer current.
 *
 * @param path the leased entry
 * @param token the token of the grant
 * @param ttlMillis requested new lifetime from now, positive
 */
public record LeaseRenew(String path, long token, long ttlMillis) implements Request {
  public LeaseRenew {
    Invariants.path(path);
    Invariants.atLeast(token, 1, "lease token");
    Invariants.atLeast(ttlMillis, 1, "lease ttl");
  }
}
