package dev.outpost.protocol;

/**
 * A lease held by the requester.
 *
 * @param path the leased entry
 * @param mode exclusive or shared
 * @param token the fencing token, positive; tokens only grow, and a commit names the one it holds
 * @param expiresAtMillis server time at which the lease lapses unless renewed
 */
public record LeaseGrant(String path, LeaseMode mode, long token, long expiresAtMillis) implements Reply {
  public LeaseGrant {
    Invariants.path(path);
    Invariants.present(mode, "lease mode");
    Invariants.atLeast(token, 1, "lease token");
  }
}
