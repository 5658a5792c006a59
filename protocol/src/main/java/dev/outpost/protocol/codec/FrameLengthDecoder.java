package dev.outpost.protocol.codec;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits the stream at the u32 length field and strips it. With failFast an oversize length is refused the
 * moment the length field arrives, before any of the body is buffered; the rest of that frame is then
 * discarded as it arrives. Netty's framing exceptions are translated to {@link ProtocolException} here, the
 * one choke point for them.
 */
final class FrameLengthDecoder extends LengthFieldBasedFrameDecoder {
  private final int maxFrameBytes;

  FrameLengthDecoder(int maxFrameBytes) {
    super(maxFrameBytes, 0, Frames.LENGTH_FIELD_BYTES, 0, Frames.LENGTH_FIELD_BYTES, true);
    this.maxFrameBytes = maxFrameBytes;
  }

  @Override
  protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
    try {
      return super.decode(ctx, in);
    } catch (TooLongFrameException e) {
      throw new ProtocolException(ErrorCode.FRAME_TOO_LARGE,
          "frame exceeds the limit of " + maxFrameBytes + " bytes (" + e.getMessage() + ")", 0, e);
    } catch (CorruptedFrameException e) {
      throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "bad frame length: " + e.getMessage(), 0, e);
    }
  }
}
