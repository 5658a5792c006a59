package dev.outpost.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Test plumbing: a leak-tracked allocator, hex buffers and a channel with the protocol pipeline installed. */
final class Wire {
  /** Heap buffers wrapped by the leak detector (PARANOID in the build). */
  static final ByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);

  private Wire() {}

  static ByteBuf hex(String hex) {
    byte[] bytes = HexFormat.of().parseHex(hex.replace(" ", ""));
    return ALLOC.buffer(bytes.length).writeBytes(bytes);
  }

  /** A frame without its length field: header fields then the body given in hex. */
  static ByteBuf frame(int type, int flags, int requestId, int session, String bodyHex) {
    return hex(String.format("%04X%04X%08X%08X", type, flags, requestId, session) + bodyHex);
  }

  /** The same frame with its length field in front. */
  static ByteBuf framed(int type, int flags, int requestId, int session, String bodyHex) {
    String rest = String.format("%04X%04X%08X%08X", type, flags, requestId, session) + bodyHex.replace(" ", "");
    return hex(String.format("%08X", rest.length() / 2) + rest);
  }

  /** A wire string in hex: u16 length + UTF-8. */
  static String str(String s) {
    byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return String.format("%04X", utf8.length) + HexFormat.of().formatHex(utf8);
  }

  static String hex(ByteBuf buf) {
    return ByteBufUtil.hexDump(buf);
  }

  static byte[] bytes(ByteBuf buf) {
    return ByteBufUtil.getBytes(buf);
  }

  /** Collects what reaches the end of the pipeline: decoded frames and fired exceptions. */
  static final class Capture extends ChannelInboundHandlerAdapter {
    final List<Frame> frames = new ArrayList<>();
    final List<Throwable> errors = new ArrayList<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      frames.add((Frame) msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      errors.add(cause);
    }

    void releaseFrames() {
      frames.forEach(Frame::release);
    }
  }

  static EmbeddedChannel channel(Capture capture) {
    return channel(capture, Frames.DEFAULT_MAX_FRAME_BYTES, ALLOC);
  }

  static EmbeddedChannel channel(Capture capture, int maxFrameBytes, ByteBufAllocator alloc) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    Frames.install(ch.pipeline(), maxFrameBytes);
    if (capture != null) {
      ch.pipeline().addLast(capture);
    }
    return ch;
  }
}
