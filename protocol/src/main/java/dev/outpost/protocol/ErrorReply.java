package dev.outpost.protocol;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.Optional;

/**
 * A request failed. The code maps 1:1 to {@link ErrorCode}; a code this build does not know decodes as
 * {@link ErrorCode#INTERNAL} with the message kept, so an older peer still shows something sensible.
 *
 * @param code what went wrong
 * @param message one line for a user; longer messages are cut at {@value #MAX_MESSAGE_CHARS} characters and
 *     unpaired surrogates become U+FFFD, so building an error never fails
 * @param current with CONFLICT: the entry's current attributes, saving the client a round trip
 */
public record ErrorReply(ErrorCode code, String message, Optional<FileAttr> current) implements Reply {
  public static final int MAX_MESSAGE_CHARS = 4000;

  public ErrorReply {
    Invariants.present(code, "error code");
    Invariants.present(current, "current attributes");
    message = sanitize(message == null ? "" : message);
  }

  public ErrorReply(ErrorCode code, String message) {
    this(code, message, Optional.empty());
  }

  /** The reply for an exception raised while serving a request. */
  public static ErrorReply of(OutpostException e) {
    return new ErrorReply(e.code(), e.getMessage());
  }

  /** This error as the exception a caller throws. */
  public OutpostException toException() {
    return new OutpostException(code, message);
  }

  private static String sanitize(String message) {
    StringBuilder out = null;
    int limit = Math.min(message.length(), MAX_MESSAGE_CHARS);
    for (int i = 0; i < limit; i++) {
      char c = message.charAt(i);
      boolean paired = Character.isHighSurrogate(c)
          ? i + 1 < limit && Character.isLowSurrogate(message.charAt(i + 1))
          : !Character.isLowSurrogate(c) || (i > 0 && Character.isHighSurrogate(message.charAt(i - 1)));
      if (!paired && out == null) {
        out = new StringBuilder(message.substring(0, i));
      }
      if (out != null) {
        out.append(paired ? c : '\uFFFD');
      }
    }
    if (out != null) {
      return out.toString();
    }
    return limit == message.length() ? message : message.substring(0, limit);
  }
}
