/**
 * The Outpost frame codec: everything here is package-private except {@link
 * dev.outpost.protocol.codec.WireFormat}, the bridge used by {@link dev.outpost.protocol.Frames}.
 *
 * <pre>
 *  0        4        6        8            12           16
 *  +--------+--------+--------+------------+------------+---------------------+
 *  | length | type   | flags  | request id | session    | body                |
 *  | u32    | u16    | u16    | u32        | u32        | (length - 12) bytes |
 *  +--------+--------+--------+------------+------------+---------------------+
 * </pre>
 *
 * <p>Inbound: {@code FrameLengthDecoder} (LengthFieldBasedFrameDecoder, failFast, strips the length field)
 * then {@code FrameDecoder} (header, type lookup in {@code MessageTable}, body via that type's
 * {@code BodyCodec}). Outbound: the shared {@code FrameEncoder}, which writes header and body into one small
 * buffer and passes a block payload on as a second buffer. Every wire length is checked against the bytes
 * present before it is used; see {@code BodyReader}.
 */
package dev.outpost.protocol.codec;
