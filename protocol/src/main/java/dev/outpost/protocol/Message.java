package dev.outpost.protocol;

/**
 * Every message of the Outpost protocol: a {@link Request} sent by a client (or a proxy acting as one) or a
 * {@link Reply} sent back by the server, including unsolicited pushes. Messages are immutable records whose
 * compact constructors check every invariant, so a decoded message is always valid.
 *
 * <p>Two messages carry a block payload, {@link BlockData} and {@link PutBlock}: they own one ByteBuf and are
 * {@link io.netty.util.ReferenceCounted}; every other message holds no buffer.
 */
public sealed interface Message permits Request, Reply {}
