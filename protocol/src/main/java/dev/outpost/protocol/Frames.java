package dev.outpost.protocol;

import dev.outpost.core.BlockId;
import dev.outpost.protocol.codec.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelPipeline;

/**
 * The Outpost frame format and the Netty pipeline pieces that read and write it.
 *
 * <pre>
 *  0        4        6        8            12           16
 *  +--------+--------+--------+------------+------------+---------------------+
 *  | length | type   | flags  | request id | session    | body                |
 *  | u32    | u16    | u16    | u32        | u32        | (length - 12) bytes |
 *  +--------+--------+--------+------------+------------+---------------------+
 * </pre>
 *
 * <ul>
 *   <li><b>length</b>: bytes after the length field. The whole frame, length field included, must not exceed
 *       the receiver's {@code maxFrameBytes}; an oversize length is refused as soon as it arrives.
 *   <li><b>type</b>: the message's stable number ({@link #typeNumber}); requests below 0x8000, replies above.
 *   <li><b>flags</b>: bit 0 = {@link Frame#MORE}; every other bit must be 0.
 *   <li><b>request id</b>: chosen by the requester and echoed by every reply; 0 only for pushes.
 *   <li><b>session</b>: 0 = the connection's own identity; else a session opened with {@link Attach}.
 * </ul>
 *
 * <p>Body primitives are big-endian. A string is a u16 byte length and UTF-8; a byte string a u16 length and
 * bytes; a list a u32 count and its elements; an Optional a u8 flag (0 or 1) and the value; an enum a fixed
 * number; a BlockId 32 raw bytes; a RootRef a BlockId, u8 depth, u32 cipher length and a byte string (the
 * wrapped key). Bytes left after a body are an error. The block payload of {@link BlockData} and
 * {@link PutBlock} is always the last field.
 *
 * <p>Decoding errors: every failure is a {@link ProtocolException}. In the installed pipeline it is fired
 * through {@code exceptionCaught} as an {@link io.netty.handler.codec.DecoderException} whose cause is the
 * ProtocolException; the pipeline does not close the channel itself, so its owner can send an
 * {@link ErrorReply} first.
 */
public final class Frames {
  /** Default limit of a whole frame, length field included: 2 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 2 * 1024 * 1024;
  /** Largest block ciphertext: a 256 KiB chunk plus room for the AEAD tag and index overhead. */
  public static final int MAX_BLOCK_BYTES = 256 * 1024 + 4 * 1024;
  /** Size of the length field. */
  public static final int LENGTH_FIELD_BYTES = 4;
  /** Size of the header after the length field: type, flags, request id, session. */
  public static final int HEADER_BYTES = 12;
  /** The smallest frame limit {@link #install} accepts: one largest block must always fit. */
  public static final int MIN_MAX_FRAME_BYTES = LENGTH_FIELD_BYTES + HEADER_BYTES + BlockId.BYTES + 4 + MAX_BLOCK_BYTES;

  /** Pipeline names of the installed handlers. */
  public static final String LENGTH_DECODER = "outpost-frame-length";
  public static final String FRAME_DECODER = "outpost-frame-decoder";
  public static final String FRAME_ENCODER = "outpost-frame-encoder";

  private Frames() {}

  /**
   * Adds, at the end of {@code pipeline}: a LengthFieldBasedFrameDecoder (failFast) bounded by
   * {@code maxFrameBytes}, the frame decoder producing {@link Frame}s, and the shared {@link Frame} encoder.
   * Handlers added after these read and write Frames.
   *
   * <p>Ownership: an inbound Frame belongs to the handler that receives it, which releases it (it matters
   * for BlockData and PutBlock, whose payload is a slice of the receive buffer: copy it if kept long). A
   * Frame written to the channel belongs to the pipeline from then on, whatever happens to the write.
   *
   * @param maxFrameBytes limit of a whole inbound frame, length field included; at least
   *     {@link #MIN_MAX_FRAME_BYTES}
   * @throws IllegalArgumentException if {@code maxFrameBytes} is below {@link #MIN_MAX_FRAME_BYTES}
   */
  public static void install(ChannelPipeline pipeline, int maxFrameBytes) {
    if (maxFrameBytes < MIN_MAX_FRAME_BYTES) {
      throw new IllegalArgumentException(
          "maxFrameBytes " + maxFrameBytes + " is below " + MIN_MAX_FRAME_BYTES + ", the size of one full block frame");
    }
    pipeline.addLast(LENGTH_DECODER, WireFormat.newLengthDecoder(maxFrameBytes));
    pipeline.addLast(FRAME_DECODER, WireFormat.newFrameDecoder());
    pipeline.addLast(FRAME_ENCODER, WireFormat.frameEncoder());
  }

  /** {@link #install(ChannelPipeline, int)} with {@link #DEFAULT_MAX_FRAME_BYTES}. */
  public static void install(ChannelPipeline pipeline) {
    install(pipeline, DEFAULT_MAX_FRAME_BYTES);
  }

  /**
   * Encodes a frame, length field included, into one contiguous buffer (the payload is copied): for tests
   * and tools. The caller keeps ownership of {@code frame} and owns the result.
   *
   * @throws ProtocolException INVALID_ARGUMENT if a payload no longer fits its limits
   */
  public static ByteBuf encode(Frame frame, ByteBufAllocator alloc) {
    return WireFormat.encode(frame, alloc);
  }

  /**
   * Decodes one frame whose length field has been stripped: reads all readable bytes of {@code frame}. The
   * caller keeps ownership of {@code frame}; a block payload in the result is a retained slice of it, owned by
   * the returned Frame.
   *
   * @throws ProtocolException MALFORMED_FRAME for bytes that are not a frame, or the code of a broken
   *     invariant (INVALID_PATH, INVALID_ARGUMENT, PROTOCOL_VIOLATION), with the request id when known
   */
  public static Frame decode(ByteBuf frame) {
    return WireFormat.decode(frame);
  }

  /**
   * One message on its own, for storing it (the origin's record of applied operations, a proxy's write-back
   * log): {@code u16 type} then the body exactly as in a frame, a block payload copied in. No length, flags,
   * request id or session.
   *
   * @throws ProtocolException INVALID_ARGUMENT if a payload no longer fits its limits
   */
  public static byte[] encodeMessage(Message message) {
    return WireFormat.encodeMessage(message);
  }

  /**
   * The message {@link #encodeMessage} made. A block payload in the result wraps {@code bytes} (no copy): do
   * not change them while it lives.
   *
   * @throws ProtocolException MALFORMED_FRAME for bytes that are not a message, or the code of a broken
   *     invariant, as {@link #decode}; request id 0
   */
  public static Message decodeMessage(byte[] bytes) {
    return WireFormat.decodeMessage(bytes);
  }

  /** The stable wire number of a message type. */
  public static int typeNumber(Class<? extends Message> messageClass) {
    return WireFormat.typeNumber(messageClass);
  }
}
