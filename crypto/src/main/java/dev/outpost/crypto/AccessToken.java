package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Utf8;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * What a signed access token grants (FORMAT.md §6): a mode on one volume, for a subject, between two
 * instants. Times are whole seconds (the compact constructor truncates), so a token round-trips exactly.
 *
 * @param volume volume name, 1..255 UTF-8 bytes
 * @param subject who the token was issued to (user, host), 1..255 UTF-8 bytes
 */
public record AccessToken(String volume, Mode mode, String subject, Instant issuedAt, Instant expiresAt) {
  /** What the bearer may do; each mode includes the ones before it. */
  public enum Mode {
    RO(1), RW(2), ADMIN(3);

    private final int wire;

    Mode(int wire) {
      this.wire = wire;
    }

    int wire() {
      return wire;
    }

    static Mode fromWire(int wire) {
      for (Mode m : values()) {
        if (m.wire == wire) {
          return m;
        }
      }
      throw new OutpostException(ErrorCode.UNAUTHORIZED, "malformed token: mode " + wire);
    }

    /** True if this mode includes {@code other}. */
    public boolean allows(Mode other) {
      return wire >= other.wire;
    }
  }

  public static final int MAX_NAME_BYTES = 255;

  public AccessToken {
    checkName("volume", volume);
    checkName("subject", subject);
    if (mode == null || issuedAt == null || expiresAt == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "token needs a mode and both instants");
    }
    issuedAt = issuedAt.truncatedTo(ChronoUnit.SECONDS);
    expiresAt = expiresAt.truncatedTo(ChronoUnit.SECONDS);
    if (!expiresAt.isAfter(issuedAt)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "token expires at " + expiresAt + ", not after " + issuedAt);
    }
  }

  /**
   * What {@code token} claims, read without checking its signature or its times: for a bearer to learn what its
   * own token grants (a client refusing writes a read-only token cannot make, before asking the server).
   *
   * <p><b>Warning:</b> unverified. Anyone can write such a claim; whoever grants access must use {@link
   * TokenVerifier}.
   *
   * @throws OutpostException UNAUTHORIZED if {@code token} is not of the compact form (FORMAT.md §6)
   */
  public static AccessToken readUnverified(String token) {
    return Tokens.decodePayload(Tokens.parse(token).payload());
  }

  private static void checkName(String what, String value) {
    // Utf8.length is -1 for an unpaired surrogate, which the signed payload could not carry exactly.
    int bytes = value == null ? -1 : Utf8.length(value);
    if (bytes < 1 || bytes > MAX_NAME_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "token " + what + " must have 1.." + MAX_NAME_BYTES
          + " UTF-8 bytes (well-formed Unicode)");
    }
  }
}
