package dev.outpost.protocol.codec;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.RootRef;
import dev.outpost.core.Utf8;
import dev.outpost.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads body primitives from one frame, checking every length against the bytes actually present before
 * reading or allocating, so a lying length is a MALFORMED_FRAME and never a large allocation.
 */
final class BodyReader {
  private final ByteBuf buf;
  private final int requestId;

  BodyReader(ByteBuf buf, int requestId) {
    this.buf = buf;
    this.requestId = requestId;
  }

  int readable() {
    return buf.readableBytes();
  }

  int u8() {
    need(1, "a u8");
    return buf.readUnsignedByte();
  }

  int u16() {
    need(2, "a u16");
    return buf.readUnsignedShort();
  }

  int i32() {
    need(4, "a u32");
    return buf.readInt();
  }

  long u32() {
    need(4, "a u32");
    return buf.readUnsignedInt();
  }

  long i64() {
    need(8, "an i64");
    return buf.readLong();
  }

  boolean bool() {
    int b = u8();
    if (b > 1) {
      throw malformed("boolean byte " + b + " is neither 0 nor 1");
    }
    return b == 1;
  }

  /**
   * u16 byte length + UTF-8, decoded strictly ({@link Utf8}): bytes that are not UTF-8 (overlong forms, encoded
   * surrogates, truncated sequences) are MALFORMED_FRAME, never replaced, so a name arrives exactly as sent.
   */
  String string() {
    int length = u16();
    need(length, "a string of " + length + " bytes");
    String s = Utf8.decode(buf.nioBuffer(buf.readerIndex(), length))
        .orElseThrow(() -> malformed("string of " + length + " bytes is not valid UTF-8"));
    buf.skipBytes(length);
    return s;
  }

  /** u16 length + bytes; {@code max} bounds the length before the array is made. */
  byte[] bytes(int max) {
    int length = u16();
    if (length > max) {
      throw malformed("byte string of " + length + " bytes exceeds " + max);
    }
    need(length, "a byte string of " + length + " bytes");
    byte[] out = new byte[length];
    buf.readBytes(out);
    return out;
  }

  <T> Optional<T> optional(Function<BodyReader, T> value) {
    int flag = u8();
    return switch (flag) {
      case 0 -> Optional.empty();
      case 1 -> Optional.of(value.apply(this));
      default -> throw malformed("optional flag " + flag + " is neither 0 nor 1");
    };
  }

  /**
   * u32 count + elements. The count is checked against the readable bytes divided by the smallest encoding
   * of an element before the list is allocated.
   */
  <T> List<T> list(int minElementBytes, Function<BodyReader, T> element) {
    long count = u32();
    if (count > buf.readableBytes() / minElementBytes) {
      throw malformed("list claims " + count + " entries of at least " + minElementBytes + " bytes, but "
          + buf.readableBytes() + " bytes remain");
    }
    List<T> out = new ArrayList<>((int) count);
    for (long i = 0; i < count; i++) {
      out.add(element.apply(this));
    }
    return Collections.unmodifiableList(out);
  }

  BlockId blockId() {
    need(BlockId.BYTES, "a block id");
    byte[] id = new byte[BlockId.BYTES];
    buf.readBytes(id);
    return BlockId.of(id);
  }

  /** BlockId + u8 depth + u32 cipherLength + u16-length wrapped key. */
  RootRef rootRef() {
    BlockId block = blockId();
    int depth = u8();
    long cipherLength = u32();
    if (cipherLength > Integer.MAX_VALUE) {
      throw malformed("root cipher length " + cipherLength + " out of range");
    }
    byte[] wrappedKey = bytes(RootRef.MAX_WRAPPED_KEY_BYTES);
    return new RootRef(block, depth, (int) cipherLength, wrappedKey);
  }

  /** A slice of the next {@code length} bytes sharing the frame's memory; the caller owns the slice. */
  ByteBuf retainedSlice(int length) {
    need(length, "a payload of " + length + " bytes");
    return buf.readRetainedSlice(length);
  }

  ProtocolException malformed(String message) {
    return new ProtocolException(ErrorCode.MALFORMED_FRAME, message, requestId);
  }

  private void need(long bytes, String what) {
    if (buf.readableBytes() < bytes) {
      throw malformed("body ends early: " + what + " needs " + bytes + " bytes, " + buf.readableBytes() + " left");
    }
  }
}
