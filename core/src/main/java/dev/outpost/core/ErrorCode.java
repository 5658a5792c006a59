package dev.outpost.core;

import java.util.Optional;

/**
 * Every error Outpost can report, with its stable wire code. The code maps 1:1 to the protocol's error
 * message; never renumber an entry, only add.
 */
public enum ErrorCode {
  /** A frame or message could not be decoded; the connection is closed after this error. */
  MALFORMED_FRAME(1),
  /** A frame's length exceeds the configured maximum. */
  FRAME_TOO_LARGE(2),
  /** No protocol version is spoken by both ends. */
  UNSUPPORTED_VERSION(3),
  /** A request arrived before the handshake, or a message was sent in the wrong direction. */
  PROTOCOL_VIOLATION(4),
  /** The token is missing, malformed, expired, badly signed or for another volume. */
  UNAUTHORIZED(10),
  /** The token is valid but does not allow this operation (e.g. a write with a read-only token). */
  FORBIDDEN(11),
  NOT_FOUND(20),
  ALREADY_EXISTS(21),
  NOT_A_DIRECTORY(22),
  IS_A_DIRECTORY(23),
  DIRECTORY_NOT_EMPTY(24),
  /**
   * A path is malformed: not absolute, contains "." or "..", NUL, an unpaired surrogate (no UTF-8 form), empty
   * components, or is too long.
   */
  INVALID_PATH(25),
  /** The commit's base version is not the file's current version. */
  CONFLICT(30),
  /** Another party holds a conflicting lease. */
  LEASE_CONFLICT(31),
  /** The lease token is not the current one for this path: a writer cut off by a partition. */
  FENCED(32),
  /** A commit references blocks the server does not hold. */
  MISSING_BLOCKS(33),
  /** The snapshot is read-only. */
  READ_ONLY(34),
  /**
   * An operation id older than the origin's deduplication window that it holds no reply for: it cannot tell
   * whether the operation was applied, so it refuses to apply it now.
   */
  STALE_OPERATION(35),
  /** A block's bytes do not hash to its id, or its authentication tag does not verify. */
  BLOCK_CORRUPT(40),
  /** A well-formed request with an argument out of range. */
  INVALID_ARGUMENT(41),
  /** A file would grow past the volume's maximum file size (FORMAT.md §4: 16 TiB); EFBIG at the mount. */
  FILE_TOO_LARGE(42),
  /** The store has no room left (LMDB map full, disk full). */
  NO_SPACE(50),
  /** The server (or the proxy's origin) cannot be reached now. */
  UNAVAILABLE(51),
  /** A change subscription fell behind the journal's retention: drop every cached entry and revalidate. */
  RESYNC(52),
  /** Too many requests in flight on this connection. */
  BUSY(53),
  /** A conflict record is waiting for a decision (disconnected operation). */
  UNRESOLVED_CONFLICT(54),
  /** The proxy is cut off from the origin and does not hold what was asked. */
  OFFLINE(55),
  /** A bug or an unexpected failure; the log holds the cause. */
  INTERNAL(99);

  private final int wireCode;

  ErrorCode(int wireCode) {
    this.wireCode = wireCode;
  }

  public int wireCode() {
    return wireCode;
  }

  public static Optional<ErrorCode> fromWire(int code) {
    for (ErrorCode c : values()) {
      if (c.wireCode == code) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
