package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.codec.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated frames through the installed pipeline: the only failures are typed decode errors, every
 * input buffer is released, and the pipeline never allocates more than the frame limit.
 */
class FuzzTest {
  /** The codes a decoder may produce; anything else means a decoder bug leaked through. */
  private static final Set<ErrorCode> DECODE_CODES = EnumSet.of(ErrorCode.MALFORMED_FRAME, ErrorCode.FRAME_TOO_LARGE,
      ErrorCode.INVALID_PATH, ErrorCode.INVALID_ARGUMENT, ErrorCode.PROTOCOL_VIOLATION);
  private static final int[] TYPES = WireFormat.types().keySet().stream().mapToInt(Integer::intValue).toArray();

  /** Counts the largest buffer the pipeline asks for. */
  static final class RecordingAllocator extends AbstractByteBufAllocator {
    int largest;

    RecordingAllocator() {
      super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
      largest = Math.max(largest, initialCapacity);
      return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
      return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
      return false;
    }
  }

  @Provide
  Arbitrary<Frame> frames() {
    return MessageArbitraries.frames();
  }

  @Property(tries = 4000)
  void mutatedFramesFailOnlyWithTypedErrors(@ForAll("frames") Frame frame, @ForAll long seed) {
    byte[] valid;
    try {
      ByteBuf b = Frames.encode(frame, Wire.ALLOC);
      valid = Wire.bytes(b);
      b.release();
    } finally {
      frame.release();
    }
    Random random = new Random(seed);
    feed(mutate(valid, random), random);
  }

  @Property(tries = 2000)
  void randomBytesFailOnlyWithTypedErrors(@ForAll @Size(max = 300) byte[] body, @ForAll long seed) {
    Random random = new Random(seed);
    ByteBuffer frame = ByteBuffer.allocate(4 + 4 + body.length);
    int length = switch (random.nextInt(4)) {
      case 0 -> random.nextInt();
      case 1 -> random.nextInt(64);
      default -> 4 + body.length;
    };
    frame.putInt(length);
    // A known type number half of the time, so bodies reach the message codecs.
    frame.putShort((short) (random.nextBoolean() ? TYPES[random.nextInt(TYPES.length)] : random.nextInt()));
    frame.putShort((short) (random.nextInt(4) == 0 ? random.nextInt() : random.nextInt(2)));
    frame.put(body);
    feed(frame.array(), random);
  }

  @Test
  void aFrameClaimingOneGibibyteFailsBeforeItsBodyArrives() {
    RecordingAllocator alloc = new RecordingAllocator();
    Wire.Capture capture = new Wire.Capture();
    EmbeddedChannel ch = Wire.channel(capture, Frames.DEFAULT_MAX_FRAME_BYTES, alloc);
    ByteBuf in = Wire.hex("40000000 0010 0000 00000001 00000000 0000 0001 2F");
    try {
      ch.writeInbound(in);
      assertThat(in.refCnt()).as("the claimed body is not waited for").isZero();
      assertThat(capture.frames).isEmpty();
      assertThat(capture.errors).singleElement().satisfies(e -> {
        assertThat(e).isInstanceOf(DecoderException.class);
        ProtocolException p = (ProtocolException) e.getCause();
        assertThat(p.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(p.requestId()).isZero();
      });
      assertThat(alloc.largest).isLessThan(1024);
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void theFrameLimitIsExactWholeFrameSizeIncludingTheLengthField() {
    // At the minimum limit, the largest block frame fits exactly and one more byte does not.
    int limit = Frames.MIN_MAX_FRAME_BYTES;
    ByteBuf largest = Wire.ALLOC.buffer(limit);
    largest.writeInt(limit - 4).writeShort(0x8020).writeShort(0).writeInt(1).writeInt(0)
        .writeZero(32).writeInt(Frames.MAX_BLOCK_BYTES).writeZero(Frames.MAX_BLOCK_BYTES);
    assertThat(largest.readableBytes()).isEqualTo(limit);
    ByteBuf tooLarge = Wire.hex(String.format("%08X", limit - 3) + "8020 0000 00000001 00000000");

    Wire.Capture capture = new Wire.Capture();
    EmbeddedChannel ch = Wire.channel(capture, limit, Wire.ALLOC);
    try {
      ch.writeInbound(largest);
      assertThat(capture.errors).isEmpty();
      assertThat(capture.frames).singleElement()
          .satisfies(f -> assertThat(((BlockData) f.message()).cipher().readableBytes()).isEqualTo(Frames.MAX_BLOCK_BYTES));
      ch.writeInbound(tooLarge);
      assertThat(capture.errors).singleElement()
          .satisfies(e -> assertThat(((ProtocolException) e.getCause()).code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
    } finally {
      capture.releaseFrames();
      ch.finishAndReleaseAll();
    }
    assertThat(largest.refCnt()).isZero();
    assertThat(tooLarge.refCnt()).isZero();
  }

  private static byte[] mutate(byte[] valid, Random r) {
    byte[] b = valid.clone();
    switch (r.nextInt(8)) {
      case 0 -> {
        for (int i = 1 + r.nextInt(8); i > 0; i--) {
          int bit = r.nextInt(b.length * 8);
          b[bit / 8] ^= (byte) (1 << (bit % 8));
        }
      }
      case 1 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
      case 2 -> {
        b = java.util.Arrays.copyOf(b, 4 + Frames.HEADER_BYTES + r.nextInt(b.length - 4 - Frames.HEADER_BYTES + 1));
        setLength(b);
      }
      case 3 -> ByteBuffer.wrap(b).putInt(0, switch (r.nextInt(4)) {
        case 0 -> r.nextInt();
        case 1 -> r.nextInt(32);
        case 2 -> Integer.MAX_VALUE;
        default -> b.length - 4 + r.nextInt(9) - 4;
      });
      case 4 -> {
        if (b.length >= 20) {
          int at = 16 + r.nextInt(b.length - 19);
          int[] huge = {0xFFFFFFFF, 0x7FFFFFFF, 0x0000FFFF, 0x00010000, r.nextInt()};
          ByteBuffer.wrap(b).putInt(at, huge[r.nextInt(huge.length)]);
        }
      }
      case 5 -> {
        int at = r.nextInt(b.length);
        for (int i = at; i < Math.min(b.length, at + 1 + r.nextInt(12)); i++) {
          b[i] = (byte) r.nextInt();
        }
      }
      case 6 -> {
        b = java.util.Arrays.copyOf(b, b.length + 1 + r.nextInt(8));
        setLength(b);
      }
      default -> ByteBuffer.wrap(b).putShort(4, (short) TYPES[r.nextInt(TYPES.length)]);
    }
    return b;
  }

  private static void setLength(byte[] frame) {
    ByteBuffer.wrap(frame).putInt(0, frame.length - 4);
  }

  /** Feeds {@code bytes} in one to three pieces and checks what comes out. */
  private static void feed(byte[] bytes, Random random) {
    RecordingAllocator alloc = new RecordingAllocator();
    Wire.Capture capture = new Wire.Capture();
    EmbeddedChannel ch = Wire.channel(capture, Frames.DEFAULT_MAX_FRAME_BYTES, alloc);
    List<ByteBuf> inputs = new ArrayList<>();
    try {
      int offset = 0;
      for (int piece = random.nextInt(3); offset < bytes.length; piece--) {
        int length = piece <= 0 ? bytes.length - offset : random.nextInt(bytes.length - offset + 1);
        ByteBuf in = Wire.ALLOC.buffer(Math.max(length, 1)).writeBytes(bytes, offset, length);
        inputs.add(in);
        ch.writeInbound(in);
        offset += length;
      }
      assertThat(capture.errors).allSatisfy(e -> {
        assertThat(e).isInstanceOf(DecoderException.class).hasCauseInstanceOf(ProtocolException.class);
        assertThat(((ProtocolException) e.getCause()).code()).isIn(DECODE_CODES);
      });
      assertThat(alloc.largest).isLessThanOrEqualTo(Frames.DEFAULT_MAX_FRAME_BYTES);
      Statistics.collect(capture.errors.isEmpty() ? (capture.frames.isEmpty() ? "incomplete" : "decoded")
          : ((ProtocolException) capture.errors.getFirst().getCause()).code().name());
    } finally {
      capture.releaseFrames();
      ch.finishAndReleaseAll();
    }
    assertThat(inputs).allSatisfy(in -> assertThat(in.refCnt()).isZero());
  }
}
