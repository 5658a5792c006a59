package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Fixed bytes for a few messages, so the wire format cannot drift without a test saying so. */
class GoldenBytesTest {
  private static final BlockId ID = BlockId.fromHex(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

  static Stream<Arguments> golden() {
    return Stream.of(
        Arguments.of(Frame.of(1, new Hello(2, 2, "t", "k")),
            // length   type flags request  session  magic    min  max  agent  token
            "0000001A 0001 0000 00000001 00000000 4F555450 0002 0002 000174 00016B"),
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
            "00000012 8001 0000 00000003 01020304 001E 000178 00"),
        Arguments.of(Frame.of(5, new Unlink("/a", 7, new OperationId(0x0102030405060708L, 9))),
            // length   type flags request  session  path "/a"  leaseToken        originator        seq
            "00000028 0015 0000 00000005 00000000 00022F61 0000000000000007 0102030405060708 0000000000000009"),
        Arguments.of(Frame.of(6, new Commit("/f", 4, 2, Optional.empty(), 0, 5, 0, new OperationId(-1, 1))),
            // length   type flags request  session  path "/f"  inode             baseVersion       no root
            "00000049 0030 0000 00000006 00000000 00022F66 0000000000000004 0000000000000002 00 "
                // size           mtime             leaseToken        originator        seq
                + "0000000000000000 0000000000000005 0000000000000000 FFFFFFFFFFFFFFFF 0000000000000001"),
        Arguments.of(Frame.of(4, new Create("/n", 0644, true, 0x4000000000000001L, 0, new OperationId(2, 3))),
            // length   type flags request  session  path "/n"  mode excl inode             leaseToken
            "00000033 0013 0000 00000004 00000000 00022F6E 01A4 01 4000000000000001 0000000000000000 "
                // originator     seq
                + "0000000000000002 0000000000000003"),
        Arguments.of(Frame.of(2, new ReserveInodes(0x0102030405060708L, 65_536)),
            // length   type flags request  session  originator        count
            "00000018 001B 0000 00000002 00000000 0102030405060708 00010000"),
        Arguments.of(Frame.of(2, new InodeRange(1L << 62, 4)),
            // length   type flags request  session  first             count
            "00000018 8013 0000 00000002 00000000 4000000000000000 00000004"),
        Arguments.of(Frame.of(8, new AttrReply(new FileAttr(2, FileType.DIRECTORY, 0755, 0, 1000, 3, Optional.empty(),
                ""), 1_700_000_000_000L)),
            // length   type flags request  session  inode             type mode size
            "0000003A 8010 0000 00000008 00000000 0000000000000002 02 01ED 0000000000000000 "
                // mtime          version           no root target "" staleSinceMillis
                + "00000000000003E8 0000000000000003 00 0000 0000018BCFE56800"),
        Arguments.of(Frame.of(10, new DiffBlocks("a", "b", "/")),
            // length   type flags request  session  base "a" target "b" prefix "/"
            "00000015 0064 0000 0000000A 00000000 000161 000162 00012F"),
        Arguments.of(Frame.of(11, new DiffPaths("a", "", "/d")),
            // length   type flags request  session  base "a" target "" prefix "/d"
            "00000015 0065 0000 0000000B 00000000 000161 0000 00022F64"),
        Arguments.of(new Frame(11, 0, Frame.MORE, new PathChanges(List.of(
                new PathChange(ChangeKind.RENAMED, 5, FileType.FILE, "/b", "/a")))),
            // length   type flags(MORE) request session count   kind inode             type path "/b" from "/a"
            "00000022 8062 0001 0000000B 00000000 00000001 05 0000000000000005 01 00022F62 00022F61"),
        Arguments.of(Frame.of(9, new DirPage(List.of(), false)),
            // length   type flags request  session  count    more staleSinceMillis (0: current)
            "00000019 8011 0000 00000009 00000000 00000000 00 0000000000000000"),
        Arguments.of(Frame.of(10, new LeaseList("/a", 7, 256)),
            // length   type flags request  session  path "/a"  afterToken        maxEntries
            "0000001A 0043 0000 0000000A 00000000 00022F61 0000000000000007 0100"),
        Arguments.of(Frame.of(11, new Leases(List.of(new LeaseInfo("/a", LeaseMode.SHARED, true, 9, "bo",
                1_700_000_000_000L, true)), false, 0)),
            // length   type flags request  session  count    path "/a"  mode subtree token
            "00000034 8042 0000 0000000B 00000000 00000001 00022F61 02 01 0000000000000009 "
                // holder "bo" expiresAtMillis  recalled more staleSinceMillis
                + "0002626F 0000018BCFE56800 01 00 0000000000000000"));
  }

  @Test
  void aStoredMessageIsItsTypeThenItsBody() {
    assertThat(HexFormat.of().formatHex(Frames.encodeMessage(new Ok()))).isEqualTo("8000");
    Message unlink = new Unlink("/a", 0, new OperationId(1, 2));
    byte[] stored = Frames.encodeMessage(unlink);
    // type  path "/a"  leaseToken        originator        seq
    assertThat(HexFormat.of().formatHex(stored)).isEqualToIgnoringCase(
        "0015 00022F61 0000000000000000 0000000000000001 0000000000000002".replace(" ", ""));
    assertThat(Frames.decodeMessage(stored)).isEqualTo(unlink);
  }

  @Test
  void aStoredMessageThatIsNotOneFailsMalformed() {
    for (String hex : new String[] {"", "80", "7FFF", "8000 00", "0015 0002 2F61"}) {
      ProtocolException e = org.assertj.core.api.Assertions.catchThrowableOfType(ProtocolException.class,
          () -> Frames.decodeMessage(HexFormat.of().parseHex(hex.replace(" ", ""))));
      assertThat(e).as(hex).isNotNull();
      assertThat(e.code()).as(hex).isEqualTo(ErrorCode.MALFORMED_FRAME);
    }
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
