package dev.outpost.protocol;

import dev.outpost.core.Utf8;

/**
 * One live lease as {@link Leases} lists it.
 *
 * @param path the leased entry
 * @param mode exclusive or shared
 * @param subtree whether it also covers everything below {@code path}
 * @param token its fencing token (the epoch), positive
 * @param holder who holds it: the subject of the holder's token, at most {@value #MAX_HOLDER_BYTES} UTF-8 bytes
 *     (as a token's subject is)
 * @param expiresAtMillis server time at which it lapses unless renewed
 * @param recalled whether another party has asked for it
 */
public record LeaseInfo(String path, LeaseMode mode, boolean subtree, long token, String holder,
    long expiresAtMillis, boolean recalled) {
  public static final int MAX_HOLDER_BYTES = 255;

  public LeaseInfo {
    Invariants.path(path);
    Invariants.present(mode, "lease mode");
    Invariants.atLeast(token, 1, "lease token");
    Invariants.text(holder, "lease holder");
    if (Utf8.length(holder) > MAX_HOLDER_BYTES) {
      throw Invariants.invalid("lease holder is longer than " + MAX_HOLDER_BYTES + " UTF-8 bytes");
    }
  }
}
