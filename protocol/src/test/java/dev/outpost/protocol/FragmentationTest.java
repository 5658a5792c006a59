package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** However the bytes of a stream are cut, the same frames come out. */
class FragmentationTest {
  private final List<Frame> frames = List.of(
      Frame.of(1, ProtocolVersion.hello("test/1", "token")),
      Frame.of(2, new GetAttr("", "/docs/report.odt")),
      new Frame(3, 0, Frame.MORE, new BlockData(id(1), Unpooled.wrappedBuffer(pattern(300)))),
      Frame.of(3, new BlockMissing(id(2))),
      Frame.of(4, new DirPage(List.of(), false)),
      Frame.of(5, 7, new PutBlock(id(3), Unpooled.wrappedBuffer(pattern(5000)))),
      Frame.of(6, new ErrorReply(ErrorCode.NOT_FOUND, "no such file", Optional.empty())),
      Frame.push(new LeaseRecall("/docs", 42)));
  private final byte[] stream = encodeAll(frames);

  @AfterEach
  void releaseExpected() {
    frames.forEach(Frame::release);
  }

  @Test
  void byteByByteDecodesTheSameFrames() {
    List<ByteBuf> pieces = new ArrayList<>();
    for (byte b : stream) {
      pieces.add(Wire.ALLOC.buffer(1).writeByte(b));
    }
    assertDecodes(pieces);
  }

  @Test
  void twoFramesInOneBufferDecodeTheSameFrames() {
    List<ByteBuf> pieces = new ArrayList<>();
    int offset = 0;
    for (int i = 0; i < frames.size(); i += 2) {
      int length = frameLength(offset) + (i + 1 < frames.size() ? frameLength(offset + frameLength(offset)) : 0);
      pieces.add(Wire.ALLOC.buffer(length).writeBytes(stream, offset, length));
      offset += length;
    }
    assertThat(offset).isEqualTo(stream.length);
    assertDecodes(pieces);
  }

  @Test
  void randomCutsDecodeTheSameFrames() {
    Random random = new Random(7);
    for (int round = 0; round < 50; round++) {
      List<ByteBuf> pieces = new ArrayList<>();
      for (int offset = 0; offset < stream.length; ) {
        int length = Math.min(stream.length - offset, 1 + random.nextInt(random.nextBoolean() ? 16 : 4000));
        pieces.add(Wire.ALLOC.buffer(length).writeBytes(stream, offset, length));
        offset += length;
      }
      assertDecodes(pieces);
    }
  }

  private void assertDecodes(List<ByteBuf> pieces) {
    Wire.Capture capture = new Wire.Capture();
    EmbeddedChannel ch = Wire.channel(capture);
    try {
      for (ByteBuf piece : pieces) {
        ch.writeInbound(piece);
      }
      assertThat(capture.errors).isEmpty();
      assertThat(capture.frames).containsExactlyElementsOf(frames);
    } finally {
      capture.releaseFrames();
      ch.finishAndReleaseAll();
    }
    assertThat(pieces).allSatisfy(p -> assertThat(p.refCnt()).isZero());
  }

  private int frameLength(int offset) {
    return Frames.LENGTH_FIELD_BYTES + (((stream[offset] & 0xff) << 24) | ((stream[offset + 1] & 0xff) << 16)
        | ((stream[offset + 2] & 0xff) << 8) | (stream[offset + 3] & 0xff));
  }

  private static byte[] encodeAll(List<Frame> frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Frame f : frames) {
      ByteBuf b = Frames.encode(f, Wire.ALLOC);
      out.writeBytes(Wire.bytes(b));
      b.release();
    }
    return out.toByteArray();
  }

  private static BlockId id(int seed) {
    byte[] b = new byte[BlockId.BYTES];
    Arrays.fill(b, (byte) seed);
    return BlockId.of(b);
  }

  private static byte[] pattern(int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return b;
  }
}
