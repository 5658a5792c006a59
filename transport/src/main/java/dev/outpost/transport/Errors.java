package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Throttle;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.FileAttr;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where wire errors become exceptions and exceptions become wire errors. Our own exceptions go to the
 * wire as they are; a foreign one goes as its kind only, because its message (an IOException's names the server's
 * files) is no client's business: the server's log gets the whole exception.
 */
public final class Errors {
  private static final Logger log = LoggerFactory.getLogger(Errors.class);
  /** strerror texts of ENOSPC and EDQUOT, all Java tells of an errno. */
  private static final String[] NO_SPACE_REASONS = {"No space left on device", "Disk quota exceeded"};
  private static final Throttle FOREIGN_LOG = new Throttle(Duration.ofSeconds(10));

  private Errors() {}

  /** The exception a caller sees for an error reply; CONFLICT keeps the current attributes. */
  public static OutpostException fromReply(ErrorReply reply) {
    if (reply.code() == ErrorCode.CONFLICT) {
      return new ConflictException(reply.message(), reply.current());
    }
    return new OutpostException(reply.code(), reply.message());
  }

  /**
   * The error reply for a failure. Anything that is not an OutpostException is INTERNAL (NO_SPACE for a full
   * disk), told as {@link #describeForWire}, and logged here with its stack (at most one line per 10 s).
   */
  public static ErrorReply toReply(Throwable failure) {
    OutpostException e = unwrap(failure);
    if (e instanceof ForeignFailure f) {
      long held = FOREIGN_LOG.pass();
      if (held >= 0) {
        log.warn("a client is told {} for {}{}", f.code(), f.getCause(), Throttle.heldNote(held), f.getCause());
      }
      return new ErrorReply(f.code(), describeForWire(f.getCause()), Optional.empty());
    }
    Optional<FileAttr> current = e instanceof ConflictException c ? c.current() : Optional.empty();
    return new ErrorReply(e.code(), String.valueOf(e.getMessage()), current);
  }

  /**
   * Peels completion/decoder wrappers; translates anything foreign to INTERNAL (NO_SPACE for a full disk) keeping
   * the cause, with the foreign message in its own message (for this side's log and user, not for the wire).
   */
  public static OutpostException unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException || t instanceof DecoderException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof OutpostException e) {
      return e;
    }
    return new ForeignFailure(t);
  }

  /**
   * What a client may be told of a foreign exception: its kind, and for a filesystem error its reason ("No space
   * left on device"), never a path or any other text of its message.
   */
  public static String describeForWire(Throwable t) {
    Throwable cause = t instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : t;
    String reason = cause instanceof FileSystemException f ? f.getReason() : noSpaceReason(cause);
    return cause.getClass().getSimpleName() + (reason != null ? ": " + reason : " (the server's log has the details)");
  }

  /** The strerror text if {@code t} (or the IOException it wraps) says the disk is full, else null. */
  private static String noSpaceReason(Throwable t) {
    Throwable cause = t instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : t;
    if (!(cause instanceof IOException)) {
      return null;
    }
    String text = cause instanceof FileSystemException f ? f.getReason() : cause.getMessage();
    for (String r : NO_SPACE_REASONS) {
      if (text != null && text.contains(r)) {
        return r;
      }
    }
    return null;
  }

  /** A foreign exception seen as ours: INTERNAL, or NO_SPACE for a full disk; the original is the cause. */
  private static final class ForeignFailure extends OutpostException {
    private static final long serialVersionUID = 1L;

    ForeignFailure(Throwable t) {
      super(noSpaceReason(t) != null ? ErrorCode.NO_SPACE : ErrorCode.INTERNAL,
          t.getClass().getSimpleName() + ": " + t.getMessage(), t);
    }
  }
}
