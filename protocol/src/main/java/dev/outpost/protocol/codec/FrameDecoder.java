package dev.outpost.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;

/**
 * Turns one frame, length field stripped, into a {@link dev.outpost.protocol.Frame}. The input is released
 * by the superclass; a block payload is a retained slice of it, owned by the frame passed on. A failure is
 * fired as a DecoderException whose cause is the ProtocolException. Stateless, but not shared: it follows
 * a per-channel length decoder.
 */
final class FrameDecoder extends MessageToMessageDecoder<ByteBuf> {
  FrameDecoder() {
    super(ByteBuf.class);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
    out.add(WireFormat.decode(frame));
  }
}
