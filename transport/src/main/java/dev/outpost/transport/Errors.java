package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.FileAttr;
import io.netty.handler.codec.DecoderException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The one place where wire errors become exceptions and exceptions become wire errors. */
public final class Errors {
  private Errors() {}

  /** The exception a caller sees for an error reply; CONFLICT keeps the current attributes. */
  public static OutpostException fromReply(ErrorReply reply) {
    if (reply.code() == ErrorCode.CONFLICT) {
      return new ConflictException(reply.message(), reply.current());
    }
    return new OutpostException(reply.code(), reply.message());
  }

  /** The error reply for a failure; anything that is not an OutpostException is INTERNAL. */
  public static ErrorReply toReply(Throwable failure) {
    OutpostException e = unwrap(failure);
    Optional<FileAttr> current = e instanceof ConflictException c ? c.current() : Optional.empty();
    return new ErrorReply(e.code(), String.valueOf(e.getMessage()), current);
  }

  /** Peels completion/decoder wrappers; translates anything foreign to INTERNAL keeping the cause. */
  public static OutpostException unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException || t instanceof DecoderException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof OutpostException e) {
      return e;
    }
    return new OutpostException(ErrorCode.INTERNAL, t.getClass().getSimpleName() + ": " + t.getMessage(), t);
  }
}
