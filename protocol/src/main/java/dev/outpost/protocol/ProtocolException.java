package dev.outpost.protocol;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * A frame that cannot be decoded, a message that breaks an invariant, or a handshake that fails. Carries the
 * request id of the offending frame when the header was readable, so the receiver can answer that request
 * with an {@link ErrorReply}; 0 when unknown.
 *
 * <p>In the pipeline installed by {@link Frames#install}, a decode failure is fired as a
 * {@link io.netty.handler.codec.DecoderException} whose cause is this exception. The codes that mean the byte
 * stream itself is bad are {@link ErrorCode#MALFORMED_FRAME} and {@link ErrorCode#FRAME_TOO_LARGE}: close the
 * connection after those. {@code INVALID_PATH}, {@code INVALID_ARGUMENT} and {@code PROTOCOL_VIOLATION} with a
 * non-zero request id concern one well-framed request and may be answered with an ErrorReply.
 */
public final class ProtocolException extends OutpostException {
  private static final long serialVersionUID = 1L;
  private final int requestId;

  public ProtocolException(ErrorCode code, String message, int requestId) {
    super(code, message);
    this.requestId = requestId;
  }

  public ProtocolException(ErrorCode code, String message, int requestId, Throwable cause) {
    super(code, message, cause);
    this.requestId = requestId;
  }

  /** The request id of the frame at fault, or 0 if it is unknown (e.g. an oversize frame). */
  public int requestId() {
    return requestId;
  }
}
