package dev.outpost.protocol.codec;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.RootRef;
import dev.outpost.core.Utf8;
import dev.outpost.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

/** Writes body primitives, the mirror of {@link BodyReader}. Values were checked by the records already. */
final class BodyWriter {
  private BodyWriter() {}

  static void u8(ByteBuf out, int value) {
    out.writeByte(value);
  }

  static void u16(ByteBuf out, int value) {
    out.writeShort(value);
  }

  static void i32(ByteBuf out, int value) {
    out.writeInt(value);
  }

  static void i64(ByteBuf out, long value) {
    out.writeLong(value);
  }

  static void bool(ByteBuf out, boolean value) {
    out.writeByte(value ? 1 : 0);
  }

  static void string(ByteBuf out, String s) {
    // The records refuse such strings; this guards a future field that forgets to (Netty's writeUtf8 would
    // write '?' for an unpaired surrogate).
    int length = Utf8.length(s);
    if (length < 0) {
      throw new ProtocolException(ErrorCode.INVALID_ARGUMENT, "string has an unpaired surrogate: no UTF-8 form", 0);
    }
    if (length > 0xFFFF) {
      throw new ProtocolException(ErrorCode.INVALID_ARGUMENT, "string of " + length + " bytes exceeds 65535", 0);
    }
    out.writeShort(length);
    ByteBufUtil.writeUtf8(out, s);
  }

  static void bytes(ByteBuf out, byte[] bytes) {
    out.writeShort(bytes.length);
    out.writeBytes(bytes);
  }

  static <T> void optional(ByteBuf out, Optional<T> value, BiConsumer<ByteBuf, T> writer) {
    if (value.isPresent()) {
      out.writeByte(1);
      writer.accept(out, value.get());
    } else {
      out.writeByte(0);
    }
  }

  static <T> void list(ByteBuf out, List<T> list, BiConsumer<ByteBuf, T> writer) {
    out.writeInt(list.size());
    for (T element : list) {
      writer.accept(out, element);
    }
  }

  static void blockId(ByteBuf out, BlockId id) {
    out.writeBytes(id.toBytes());
  }

  static void rootRef(ByteBuf out, RootRef root) {
    blockId(out, root.block());
    out.writeByte(root.depth());
    out.writeInt(root.cipherLength());
    bytes(out, root.wrappedKey());
  }
}
