package dev.outpost.protocol.codec;

import dev.outpost.protocol.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes a {@link Frame} as a small buffer holding the length field, header and body, followed, for
 * BlockData and PutBlock, by the payload buffer itself: no copy. The superclass releases the frame after
 * {@link #encode}; the payload is retained once here, so its ownership passes to the outbound path. If
 * encoding fails nothing is added, the header buffer is freed and the superclass's release frees the payload.
 */
@Sharable
final class FrameEncoder extends MessageToMessageEncoder<Frame> {
  static final FrameEncoder INSTANCE = new FrameEncoder();

  private FrameEncoder() {
    super(Frame.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
    ByteBuf header = ctx.alloc().ioBuffer();
    ByteBuf payload;
    try {
      payload = WireFormat.writeHeaderAndBody(frame, header);
      if (payload != null) {
        payload.retain();
      }
    } catch (RuntimeException e) {
      header.release();
      throw e;
    }
    out.add(header);
    if (payload != null) {
      out.add(payload);
    }
  }
}
