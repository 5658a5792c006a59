package dev.outpost.protocol.codec;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.Message;
import dev.outpost.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import java.util.TreeMap;

/**
 * The implementation behind {@link Frames}: call {@link Frames} instead. Public only because Frames lives in
 * the API package; everything else in this package is package-private.
 */
public final class WireFormat {
  private WireFormat() {}

  /** See {@link Frames#decode}. */
  public static Frame decode(ByteBuf frame) {
    if (frame.readableBytes() < Frames.HEADER_BYTES) {
      throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
          "frame of " + frame.readableBytes() + " bytes is shorter than its " + Frames.HEADER_BYTES + "-byte header",
          0);
    }
    int type = frame.readUnsignedShort();
    int flags = frame.readUnsignedShort();
    int requestId = frame.readInt();
    int session = frame.readInt();
    if ((flags & ~Frame.MORE) != 0) {
      throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
          "reserved frame flags set: 0x" + Integer.toHexString(flags), requestId);
    }
    MessageTable.Entry<?> entry = MessageTable.byType(type);
    if (entry == null) {
      throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
          String.format("unknown message type 0x%04X", type), requestId);
    }
    Message message = decodeBody(entry, frame, requestId);
    try {
      return new Frame(requestId, session, flags, message);
    } catch (RuntimeException e) {
      ReferenceCountUtil.release(message);
      throw e;
    }
  }

  /** See {@link Frames#encodeMessage}. */
  public static byte[] encodeMessage(Message message) {
    MessageTable.Entry<?> entry = MessageTable.byClass(message.getClass());
    ByteBuf out = Unpooled.buffer();
    try {
      out.writeShort(entry.type());
      ByteBuf payload = writeBody(entry, message, out);
      if (payload != null) {
        out.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
      }
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
    }
  }

  /** See {@link Frames#decodeMessage}. */
  public static Message decodeMessage(byte[] bytes) {
    if (bytes.length < 2) {
      throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
          "stored message of " + bytes.length + " bytes has no type", 0);
    }
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      int type = in.readUnsignedShort();
      MessageTable.Entry<?> entry = MessageTable.byType(type);
      if (entry == null) {
        throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
            String.format("unknown message type 0x%04X", type), 0);
      }
      return decodeBody(entry, in, 0);
    } finally {
      in.release();
    }
  }

  /** Decodes one body and checks nothing is left after it; the caller owns the result. */
  private static Message decodeBody(MessageTable.Entry<?> entry, ByteBuf body, int requestId) {
    Message message;
    try {
      message = entry.codec().decode(new BodyReader(body, requestId));
    } catch (ProtocolException e) {
      throw e;
    } catch (OutpostException e) {
      // The one choke point where a record's invariant failure becomes a protocol error of that request.
      throw new ProtocolException(e.code(), entry.name() + ": " + e.getMessage(), requestId, e);
    } catch (IndexOutOfBoundsException e) {
      throw new ProtocolException(ErrorCode.MALFORMED_FRAME, entry.name() + " body ends early", requestId, e);
    }
    if (body.isReadable()) {
      int left = body.readableBytes();
      ReferenceCountUtil.release(message);
      throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
          left + " trailing bytes after a " + entry.name() + " body", requestId);
    }
    return message;
  }

  /** See {@link Frames#encode}. */
  public static ByteBuf encode(Frame frame, ByteBufAllocator alloc) {
    ByteBuf out = alloc.buffer();
    try {
      ByteBuf payload = writeHeaderAndBody(frame, out);
      if (payload != null) {
        out.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
      }
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  /**
   * Writes the length field, the header and the body up to (not including) the payload; the length field
   * already counts the payload.
   *
   * @return the payload that must follow, not retained, or null
   */
  static ByteBuf writeHeaderAndBody(Frame frame, ByteBuf out) {
    return write(MessageTable.byClass(frame.message().getClass()), frame, out);
  }

  private static ByteBuf write(MessageTable.Entry<?> entry, Frame frame, ByteBuf out) {
    int start = out.writerIndex();
    out.writeInt(0);
    out.writeShort(entry.type());
    out.writeShort(frame.flags());
    out.writeInt(frame.requestId());
    out.writeInt(frame.session());
    ByteBuf payload = writeBody(entry, frame.message(), out);
    int length = out.writerIndex() - start - Frames.LENGTH_FIELD_BYTES
        + (payload == null ? 0 : payload.readableBytes());
    out.setInt(start, length);
    return payload;
  }

  /** Writes the body up to the payload; returns the payload (not retained) or null. */
  private static <M extends Message> ByteBuf writeBody(MessageTable.Entry<M> entry, Message message, ByteBuf out) {
    M m = entry.messageClass().cast(message);
    entry.codec().encode(m, out);
    return entry.codec().payload(m);
  }

  /** See {@link Frames#typeNumber}. */
  public static int typeNumber(Class<? extends Message> messageClass) {
    return MessageTable.byClass(messageClass).type();
  }

  /** Every message type by wire number, for documentation and tests. */
  public static Map<Integer, Class<? extends Message>> types() {
    Map<Integer, Class<? extends Message>> out = new TreeMap<>();
    for (MessageTable.Entry<?> e : MessageTable.all()) {
      out.put(e.type(), e.messageClass());
    }
    return out;
  }

  /** The first inbound handler: splits frames, refusing an oversize one as soon as its length is read. */
  public static ChannelHandler newLengthDecoder(int maxFrameBytes) {
    return new FrameLengthDecoder(maxFrameBytes);
  }

  /** Turns one frame (length field stripped) into a {@link Frame}. */
  public static ChannelHandler newFrameDecoder() {
    return new FrameDecoder();
  }

  /** The shared, stateless encoder. */
  public static ChannelHandler frameEncoder() {
    return FrameEncoder.INSTANCE;
  }
}
