package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import org.junit.jupiter.api.Test;

/** The encoder passes payloads on without copying and never leaks them, whether encoding succeeds or fails. */
class EncoderTest {
  private static final BlockId ID = BlockId.fromHex("ab".repeat(32));

  @Test
  void blockPayloadIsSentAsItselfAndOwnershipPassesToTheOutboundPath() {
    EmbeddedChannel ch = Wire.channel(null);
    ByteBuf cipher = Wire.ALLOC.buffer().writeBytes(new byte[] {1, 2, 3, 4, 5});
    try {
      assertThat(ch.writeOutbound(Frame.of(5, new PutBlock(ID, cipher)))).isTrue();
      ByteBuf header = ch.readOutbound();
      ByteBuf payload = ch.readOutbound();
      assertThat(payload).isSameAs(cipher);
      assertThat(payload.refCnt()).as("one reference, now the reader's").isEqualTo(1);
      assertThat(header.readableBytes()).isEqualTo(4 + Frames.HEADER_BYTES + BlockId.BYTES + 4);
      assertThat(header.getInt(0)).as("length counts the payload").isEqualTo(Frames.HEADER_BYTES + 32 + 4 + 5);
      header.release();
      payload.release();
    } finally {
      ch.finishAndReleaseAll();
    }
    assertThat(cipher.refCnt()).isZero();
  }

  @Test
  void aPayloadThatGrewPastTheLimitFailsTheWriteAndIsReleased() {
    EmbeddedChannel ch = Wire.channel(null);
    ByteBuf cipher = Wire.ALLOC.buffer().writeBytes(new byte[] {1});
    PutBlock put = new PutBlock(ID, cipher);
    cipher.writeZero(Frames.MAX_BLOCK_BYTES);
    try {
      assertThatThrownBy(() -> ch.writeOutbound(Frame.of(5, put)))
          .isInstanceOf(EncoderException.class)
          .cause().isInstanceOfSatisfying(ProtocolException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
      assertThat((Object) ch.readOutbound()).as("nothing half-written").isNull();
    } finally {
      ch.finishAndReleaseAll();
    }
    assertThat(cipher.refCnt()).isZero();
  }

  @Test
  void contiguousEncodeCopiesAndLeavesTheFrameToTheCaller() {
    ByteBuf cipher = Wire.ALLOC.buffer().writeBytes(new byte[] {9, 8, 7});
    BlockData data = new BlockData(ID, cipher);
    ByteBuf wire = Frames.encode(Frame.of(2, data), Wire.ALLOC);
    try {
      assertThat(cipher.refCnt()).isEqualTo(1);
      assertThat(cipher.readableBytes()).as("reader index untouched").isEqualTo(3);
      assertThat(wire.readableBytes()).isEqualTo(4 + Frames.HEADER_BYTES + 32 + 4 + 3);
    } finally {
      wire.release();
      data.release();
    }
    assertThat(cipher.refCnt()).isZero();
  }

  @Test
  void blockMessagesAndFramesCountReferencesThroughThePayload() {
    ByteBuf cipher = Wire.ALLOC.buffer().writeBytes(new byte[] {1});
    Frame frame = Frame.of(1, new BlockData(ID, cipher));
    assertThat(frame.retain().refCnt()).isEqualTo(2);
    assertThat(frame.release()).isFalse();
    assertThat(frame.release()).isTrue();
    assertThat(cipher.refCnt()).isZero();
    Frame plain = Frame.of(1, new Ping(1));
    assertThat(plain.refCnt()).isEqualTo(1);
    assertThat(plain.release()).as("nothing to free").isFalse();
  }
}
