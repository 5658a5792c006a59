package dev.outpost.protocol;

/**
 * Gives a lease back. Answered by {@link Ok}.
 *
 * @param path the leased entry
 * @param token the token of the grant
 */
public record LeaseRelease(String path, long token) implements Request {
  public LeaseRelease {
    Invariants.path(path);
    Invariants.atLeast(token, 1, "lease token");
  }
}
