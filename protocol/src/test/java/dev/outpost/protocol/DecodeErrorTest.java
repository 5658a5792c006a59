package dev.outpost.protocol;

import static dev.outpost.protocol.Wire.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.outpost.core.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each way a frame can be wrong gives its typed error, with the request id once the header was read. */
class DecodeErrorTest {
  private static final String ID = "11".repeat(32);
  private static final String ATTR_FILE = "0000000000000005 01 01A4 0000000000000000 0000000000000000 "
      + "0000000000000001 00 0000";
  /** A mutation's tail: lease token 0, no operation id. */
  private static final String NO_LEASE_NO_OP = " 0000000000000000 0000000000000000 0000000000000000";

  static Stream<Arguments> badFrames() {
    return Stream.of(
        bad("unknown message type", 0x7FFF, 0, 5, "", ErrorCode.MALFORMED_FRAME, 5),
        bad("reserved flag bit", 0x0004, 2, 5, "0000000000000001", ErrorCode.MALFORMED_FRAME, 5),
        bad("trailing byte", 0x0004, 0, 5, "0000000000000001 00", ErrorCode.MALFORMED_FRAME, 5),
        bad("body ends early", 0x0004, 0, 5, "000000", ErrorCode.MALFORMED_FRAME, 5),
        bad("string longer than the body", 0x0015, 0, 5, "0010 2F61", ErrorCode.MALFORMED_FRAME, 5),
        bad("overlong UTF-8 for '/'", 0x0015, 0, 5, "0003 2FC0AF", ErrorCode.MALFORMED_FRAME, 5),
        bad("UTF-8 encoded surrogate", 0x0015, 0, 5, "0004 2FEDA080", ErrorCode.MALFORMED_FRAME, 5),
        bad("relative path", 0x0010, 0, 6, str("") + str("a/b"), ErrorCode.INVALID_PATH, 6),
        bad("dot-dot in a path", 0x0015, 0, 6, str("/a/../b") + NO_LEASE_NO_OP, ErrorCode.INVALID_PATH, 6),
        bad("bad snapshot name", 0x0010, 0, 6, str("no way") + str("/a"), ErrorCode.INVALID_ARGUMENT, 6),
        bad("list count far beyond the body", 0x0020, 0, 7, "FFFFFFFF" + ID, ErrorCode.MALFORMED_FRAME, 7),
        bad("list count one too many", 0x0020, 0, 7, "00000002" + ID, ErrorCode.MALFORMED_FRAME, 7),
        bad("empty GetBlocks", 0x0020, 0, 7, "00000000", ErrorCode.INVALID_ARGUMENT, 7),
        bad("optional flag 2", 0x8010, 0, 8, ATTR_FILE.replace("0000000000000001 00", "0000000000000001 02"),
            ErrorCode.MALFORMED_FRAME, 8),
        bad("boolean 2", 0x0013, 0, 8, str("/f") + "01A4 02", ErrorCode.MALFORMED_FRAME, 8),
        bad("unknown file type", 0x8010, 0, 8, ATTR_FILE.replace(" 01 01A4", " 09 01A4"), ErrorCode.MALFORMED_FRAME, 8),
        bad("mode above 07777", 0x0014, 0, 8, str("/d") + "FFFF 0000000000000000" + NO_LEASE_NO_OP,
            ErrorCode.INVALID_ARGUMENT, 8),
        bad("a reserved inode without an operation id", 0x0014, 0, 8, str("/d") + "01ED 0000000000000009"
            + NO_LEASE_NO_OP, ErrorCode.INVALID_ARGUMENT, 8),
        bad("an inode reservation for originator 0", 0x001B, 0, 8, "0000000000000000 00000001",
            ErrorCode.INVALID_ARGUMENT, 8),
        bad("an inode reservation past the largest count", 0x001B, 0, 8, "0000000000000001 00010001",
            ErrorCode.INVALID_ARGUMENT, 8),
        bad("operation id with an originator but seq 0", 0x0015, 0, 8,
            str("/a") + "0000000000000000 00000000000000AB 0000000000000000", ErrorCode.INVALID_ARGUMENT, 8),
        bad("negative lease token", 0x0016, 0, 8, str("/a") + "FFFFFFFFFFFFFFFF 0000000000000000 0000000000000000",
            ErrorCode.INVALID_ARGUMENT, 8),
        bad("mutation without its operation id", 0x0015, 0, 8, str("/a") + "0000000000000000",
            ErrorCode.MALFORMED_FRAME, 8),
        bad("negative stale-since time", 0x8012, 0, 8, str("t") + "8000000000000000", ErrorCode.INVALID_ARGUMENT, 8),
        bad("unknown lease mode", 0x0040, 0, 8, str("/f") + "07 00 0000000000000001", ErrorCode.MALFORMED_FRAME, 8),
        bad("block length not what follows", 0x8020, 0, 9, ID + "00000005 AABB", ErrorCode.MALFORMED_FRAME, 9),
        bad("empty block", 0x8020, 0, 9, ID + "00000000", ErrorCode.INVALID_ARGUMENT, 9),
        bad("wrapped key over 128 bytes", 0x0030, 0, 9, str("/f") + "0000000000000000 0000000000000000 01"
            + ID + "00 00000010 0081" + "00".repeat(129), ErrorCode.MALFORMED_FRAME, 9),
        bad("request with id 0", 0x0004, 0, 0, "0000000000000001", ErrorCode.PROTOCOL_VIOLATION, 0),
        bad("push with a request id", 0x8041, 0, 3, str("/a") + "0000000000000001", ErrorCode.PROTOCOL_VIOLATION, 3),
        bad("bad magic", 0x0001, 0, 1, "48545450 0001 0001" + str("a") + str("t"), ErrorCode.MALFORMED_FRAME, 1));
  }

  private static Arguments bad(String why, int type, int flags, int requestId, String body, ErrorCode code,
      int expectedRequestId) {
    return Arguments.of(why, type, flags, requestId, body, code, expectedRequestId);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFrames")
  void badFrameGivesItsTypedError(String why, int type, int flags, int requestId, String body, ErrorCode code,
      int expectedRequestId) {
    ByteBuf frame = Wire.frame(type, flags, requestId, 0, body);
    try {
      ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> Frames.decode(frame));
      assertThat(e).as(why).isNotNull();
      assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
      assertThat(e.requestId()).isEqualTo(expectedRequestId);
      assertThat(frame.refCnt()).as("no slice kept").isEqualTo(1);
    } finally {
      frame.release();
    }
  }

  @Test
  void aFrameShorterThanItsHeaderIsMalformed() {
    ByteBuf frame = Wire.hex("0004 0000 0000");
    try {
      ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> Frames.decode(frame));
      assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
      assertThat(e.requestId()).isZero();
    } finally {
      frame.release();
    }
  }

  @Test
  void badMagicNamesTheProblem() {
    ByteBuf frame = Wire.frame(0x0001, 0, 1, 0, "48545450 0001 0001" + str("a") + str("t"));
    try {
      assertThat(catchThrowableOfType(ProtocolException.class, () -> Frames.decode(frame)))
          .hasMessageContaining("not an Outpost peer").hasMessageContaining("0x48545450");
    } finally {
      frame.release();
    }
  }

  @Test
  void anUnknownErrorCodeDecodesAsInternalKeepingTheMessage() {
    ByteBuf frame = Wire.frame(0x8001, 0, 4, 0, "0309" + str("disk on fire") + "00");
    try {
      ErrorReply reply = (ErrorReply) Frames.decode(frame).message();
      assertThat(reply.code()).isEqualTo(ErrorCode.INTERNAL);
      assertThat(reply.message()).contains("disk on fire").contains("777");
    } finally {
      frame.release();
    }
  }

  @Test
  void thePipelineFiresDecoderExceptionsCausedByProtocolExceptionAndKeepsDecoding() {
    Wire.Capture capture = new Wire.Capture();
    EmbeddedChannel ch = Wire.channel(capture);
    try {
      ch.writeInbound(Wire.framed(0x0010, 0, 6, 0, str("") + str("relative")));
      ch.writeInbound(Wire.framed(0x0004, 0, 7, 0, "0000000000000009"));
      assertThat(capture.errors).singleElement().satisfies(e -> {
        assertThat(e).isInstanceOf(DecoderException.class);
        assertThat(e.getCause()).isInstanceOfSatisfying(ProtocolException.class, p -> {
          assertThat(p.code()).isEqualTo(ErrorCode.INVALID_PATH);
          assertThat(p.requestId()).isEqualTo(6);
        });
      });
      assertThat(capture.frames).containsExactly(Frame.of(7, new Ping(9)));
      assertThat(ch.isOpen()).as("closing is the owner's decision").isTrue();
    } finally {
      capture.releaseFrames();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void aNonOutpostPeerIsRefusedAtItsFirstBytes() {
    Wire.Capture capture = new Wire.Capture();
    EmbeddedChannel ch = Wire.channel(capture);
    ByteBuf http = Wire.ALLOC.buffer().writeBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
    try {
      ch.writeInbound(http);
      assertThat(capture.errors).singleElement().satisfies(e ->
          assertThat(((ProtocolException) e.getCause()).code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
    } finally {
      ch.finishAndReleaseAll();
    }
    assertThat(http.refCnt()).isZero();
  }
}
