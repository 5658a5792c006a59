package dev.outpost.protocol;

/**
 * Server push (request id 0): another party wants this lease; flush and release it soon, or lose it at
 * expiry.
 *
 * @param path the leased entry
 * @param token the token of the grant being recalled
 */
public record LeaseRecall(String path, long token) implements Reply {
  public LeaseRecall {
    Invariants.path(path);
    Invariants.atLeast(token, 1, "lease token");
  }
}
