package dev.outpost.protocol;

/**
 * Asks for a lease. Answered by {@link LeaseGrant}, or LEASE_CONFLICT while another party holds a
 * conflicting lease (the server recalls it and the client may retry).
 *
 * @param path the leased entry
 * @param mode exclusive or shared
 * @param subtree also cover everything below {@code path}
 * @param ttlMillis requested lifetime, positive; the server may shorten it
 */
public record LeaseAcquire(String path, LeaseMode mode, boolean subtree, long ttlMillis) implements Request {
  public LeaseAcquire {
    Invariants.path(path);
    Invariants.present(mode, "lease mode");
    Invariants.atLeast(ttlMillis, 1, "lease ttl");
  }
}
