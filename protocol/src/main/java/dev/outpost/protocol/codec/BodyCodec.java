package dev.outpost.protocol.codec;

import dev.outpost.protocol.Message;
import io.netty.buffer.ByteBuf;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Encodes and decodes the body of one message type. Stateless and thread-safe. A codec for a message with a
 * block payload writes everything before the payload in {@link #encode} and returns the payload from
 * {@link #payload}, so the encoder can send it without copying; the payload is always the last field.
 */
interface BodyCodec<M extends Message> {
  /** Writes the body, without the payload if there is one. */
  void encode(M message, ByteBuf out);

  /**
   * Reads one body. Throws {@link dev.outpost.protocol.ProtocolException} for malformed bytes; record
   * invariants throw {@link dev.outpost.core.OutpostException}, which the caller tags with the request id.
   * Must release any retained slice if it fails after taking one.
   */
  M decode(BodyReader in);

  /** The payload to send after the body, or null; not retained. */
  default ByteBuf payload(M message) {
    return null;
  }

  static <M extends Message> BodyCodec<M> of(BiConsumer<M, ByteBuf> encoder, Function<BodyReader, M> decoder) {
    return new BodyCodec<>() {
      @Override
      public void encode(M message, ByteBuf out) {
        encoder.accept(message, out);
      }

      @Override
      public M decode(BodyReader in) {
        return decoder.apply(in);
      }
    };
  }

  /** A codec for a body with no fields. */
  static <M extends Message> BodyCodec<M> empty(M instance) {
    return of((m, out) -> { }, in -> instance);
  }
}
