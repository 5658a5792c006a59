package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Fixed bytes for a few messages, so the wire format cannot drift without a test saying so. */
class GoldenBytesTest {
  private static final BlockId ID = BlockId.fromHex(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

  static Stream<Arguments> golden() {
    return Stream.of(
        Arguments.of(Frame.of(1, new Hello(1, 1, "t", "k")),
            // length   type flags request  session  magic    min  max  agent  token
            "0000001A 0001 0000 00000001 00000000 4F555450 0001 0001 000174 00016B"),
        Arguments.of(Frame.of(7, new GetAttr("", "/a/b")),
            // length   type flags request  session  snapshot "" path "/a/b"
            "00000014 0010 0000 00000007 00000000 0000 00042F612F62"),
        Arguments.of(new Frame(9, 0, Frame.MORE, new BlockData(ID, Unpooled.wrappedBuffer(
                HexFormat.of().parseHex("deadbeef")))),
            // length   type flags(MORE) request session  block id (32 bytes)                         length   cipher
            "00000034 8020 0001 00000009 00000000 "
                + "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F 00000004 DEADBEEF"),
        Arguments.of(new Frame(3, 0x01020304, 0, new ErrorReply(ErrorCode.CONFLICT, "x", Optional.empty())),
            // length   type flags request  session  code(30) message no attrs
            "00000012 8001 0000 00000003 01020304 001E 000178 00"));
  }

  @ParameterizedTest
  @MethodSource("golden")
  void encodesToTheDocumentedBytes(Frame frame, String hex) {
    ByteBuf wire = Frames.encode(frame, Wire.ALLOC);
    try {
      assertThat(Wire.hex(wire)).isEqualToIgnoringCase(hex.replace(" ", ""));
    } finally {
      wire.release();
    }
  }

  @ParameterizedTest
  @MethodSource("golden")
  void documentedBytesDecodeThroughThePipeline(Frame frame, String hex) {
    Wire.Capture capture = new Wire.Capture();
    EmbeddedChannel ch = Wire.channel(capture);
    ByteBuf in = Wire.hex(hex);
    try {
      ch.writeInbound(in);
      assertThat(capture.errors).isEmpty();
      assertThat(capture.frames).containsExactly(frame);
    } finally {
      capture.releaseFrames();
      ch.finishAndReleaseAll();
    }
    assertThat(in.refCnt()).isZero();
  }
}
