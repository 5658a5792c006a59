package dev.outpost.protocol;

import dev.outpost.core.ErrorCode;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ReferenceCounted;

/**
 * One message with its frame header: what the pipeline installed by {@link Frames#install} reads and writes.
 *
 * <p>A frame is {@link ReferenceCounted} by delegation to its message: for {@link BlockData} and
 * {@link PutBlock} that is the payload buffer; for every other message the frame owns nothing, reports a
 * count of 1 and {@link #release()} returns false. So Netty's usual rule holds: the last handler to touch a
 * frame releases it ({@code ReferenceCountUtil.release(frame)}), and unread frames left in a channel are
 * freed by {@code finishAndReleaseAll()} and the pipeline's tail.
 *
 * @param requestId chosen by the requester and echoed by every reply; 0 only for pushes
 * @param session 0 for the connection's own identity, else a session opened by {@link Attach}
 * @param flags 0 or {@link #MORE}
 * @param message the message
 */
public record Frame(int requestId, int session, int flags, Message message) implements ReferenceCounted {
  /** Flag bit 0: more reply frames follow for this request id. */
  public static final int MORE = 1;

  /**
   * @throws ProtocolException INVALID_ARGUMENT for unknown flags or no message; PROTOCOL_VIOLATION for a
   *     request with id 0 or a push with a non-zero id. The caller keeps ownership of {@code message}.
   */
  public Frame {
    if ((flags & ~MORE) != 0) {
      throw new ProtocolException(ErrorCode.INVALID_ARGUMENT,
          "unknown frame flags 0x" + Integer.toHexString(flags), requestId);
    }
    if (message == null) {
      throw new ProtocolException(ErrorCode.INVALID_ARGUMENT, "frame without a message", requestId);
    }
    if (message instanceof Request && requestId == 0) {
      throw new ProtocolException(ErrorCode.PROTOCOL_VIOLATION,
          "request id 0 is reserved for pushes, got a " + message.getClass().getSimpleName(), requestId);
    }
    if (message instanceof LeaseRecall && requestId != 0) {
      throw new ProtocolException(ErrorCode.PROTOCOL_VIOLATION, "a LeaseRecall push must use request id 0",
          requestId);
    }
  }

  /** A frame for session 0 without flags. */
  public static Frame of(int requestId, Message message) {
    return new Frame(requestId, 0, 0, message);
  }

  /** A frame for a session without flags. */
  public static Frame of(int requestId, int session, Message message) {
    return new Frame(requestId, session, 0, message);
  }

  /** An unsolicited push (request id 0) to the connection. */
  public static Frame push(Reply message) {
    return new Frame(0, 0, 0, message);
  }

  /** A reply to this frame's request: same request id and session, with MORE set if {@code more}. */
  public Frame reply(Reply message, boolean more) {
    return new Frame(requestId, session, more ? MORE : 0, message);
  }

  /** True if more reply frames follow for this request id. */
  public boolean more() {
    return (flags & MORE) != 0;
  }

  @Override
  public int refCnt() {
    return message instanceof ReferenceCounted rc ? rc.refCnt() : 1;
  }

  @Override
  public Frame retain() {
    ReferenceCountUtil.retain(message);
    return this;
  }

  @Override
  public Frame retain(int increment) {
    ReferenceCountUtil.retain(message, increment);
    return this;
  }

  @Override
  public Frame touch() {
    ReferenceCountUtil.touch(message);
    return this;
  }

  @Override
  public Frame touch(Object hint) {
    ReferenceCountUtil.touch(message, hint);
    return this;
  }

  @Override
  public boolean release() {
    return ReferenceCountUtil.release(message);
  }

  @Override
  public boolean release(int decrement) {
    return ReferenceCountUtil.release(message, decrement);
  }
}
