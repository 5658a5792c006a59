package dev.outpost.bench.jmh;

import static dev.outpost.bench.jmh.Payloads.CHUNK_BYTES;

import dev.outpost.core.BlockId;
import dev.outpost.core.RootRef;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetAttr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Frame codec round trips through the handlers {@link Frames#install} puts in a pipeline (on an
 * EmbeddedChannel): encode a frame with the shared encoder, then decode the same frame from its wire bytes with
 * the length and frame decoders. Score: round trips per second.
 *
 * <p>Decoding reads one contiguous buffer holding the whole frame, as a socket read delivers it; neither
 * direction copies a BlockData payload (the encoder passes the payload buffer on, the decoder slices it from
 * the receive buffer), which the module's test checks.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CodecBenchmark {
  static final int REQUEST_ID = 0x1234;

  private EmbeddedChannel channel;
  private Frame getAttr;
  private Frame attrReply;
  private BlockId blockId;
  private ByteBuf payload;
  private ByteBuf getAttrWire;
  private ByteBuf attrReplyWire;
  private ByteBuf blockDataWire;

  @Setup
  public void setup() {
    channel = new EmbeddedChannel();
    Frames.install(channel.pipeline());
    getAttr = Frame.of(REQUEST_ID, new GetAttr("", "/projects/outpost/reports/2026-q3/summary.odt"));
    RootRef root = new RootRef(BlockId.of(Payloads.random(BlockId.BYTES, 1)), 1, 22 + 76 * 3,
        Payloads.random(60, 2));
    attrReply = Frame.of(REQUEST_ID, new AttrReply(new FileAttr(4711, FileType.FILE, 0644, 3L * CHUNK_BYTES,
        1_763_000_000_000L, 42, Optional.of(root), "")));
    blockId = BlockId.of(Payloads.random(BlockId.BYTES, 3));
    payload = PooledByteBufAllocator.DEFAULT.directBuffer(CHUNK_BYTES, CHUNK_BYTES)
        .writeBytes(Payloads.random(CHUNK_BYTES, 4));
    getAttrWire = Frames.encode(getAttr, PooledByteBufAllocator.DEFAULT);
    attrReplyWire = Frames.encode(attrReply, PooledByteBufAllocator.DEFAULT);
    Frame block = blockDataFrame();
    try {
      blockDataWire = Frames.encode(block, PooledByteBufAllocator.DEFAULT);
    } finally {
      block.release();
    }
  }

  @TearDown
  public void tearDown() {
    getAttrWire.release();
    attrReplyWire.release();
    blockDataWire.release();
    payload.release();
    channel.finishAndReleaseAll();
  }

  /** @return the encoded frame's bytes */
  @Benchmark
  public int getAttr() {
    return roundTrip(getAttr, getAttrWire);
  }

  /** @return the encoded frame's bytes */
  @Benchmark
  public int attrReply() {
    return roundTrip(attrReply, attrReplyWire);
  }

  /** @return the encoded frame's bytes (header and the 64 KiB payload) */
  @Benchmark
  public int blockData() {
    return roundTrip(blockDataFrame(), blockDataWire);
  }

  private int roundTrip(Frame frame, ByteBuf wire) {
    int encodedBytes = encodedBytes(frame);
    Frame decoded = decode(wire);
    try {
      // Reading a field keeps the decode from being dead code, and catches a broken pipeline cheaply.
      if (decoded.requestId() != REQUEST_ID) {
        throw new IllegalStateException("decoded request id " + decoded.requestId());
      }
      return encodedBytes;
    } finally {
      decoded.release();
    }
  }

  /** A new BlockData frame over the shared payload; owns one reference of it (a retained duplicate). */
  Frame blockDataFrame() {
    return Frame.of(REQUEST_ID, new BlockData(blockId, payload.retainedDuplicate()));
  }

  /** Encodes {@code frame} (taking ownership) and frees the output, returning its size. */
  private int encodedBytes(Frame frame) {
    int bytes = 0;
    for (ByteBuf b : encode(frame)) {
      bytes += b.readableBytes();
      b.release();
    }
    return bytes;
  }

  /** Encodes {@code frame}, taking ownership; the caller owns the buffers the encoder wrote. */
  List<ByteBuf> encode(Frame frame) {
    channel.writeOutbound(frame);
    List<ByteBuf> out = new ArrayList<>(2);
    ByteBuf b;
    while ((b = channel.readOutbound()) != null) {
      out.add(b);
    }
    return out;
  }

  /** Decodes one frame from {@code wire}'s readable bytes, which are left unread; the caller owns the frame. */
  Frame decode(ByteBuf wire) {
    channel.writeInbound(wire.retainedDuplicate());
    Frame f = channel.readInbound();
    if (f == null) {
      throw new IllegalStateException("no frame decoded from " + wire.readableBytes() + " bytes");
    }
    return f;
  }

  ByteBuf payload() {
    return payload;
  }

  ByteBuf blockDataWire() {
    return blockDataWire;
  }

  Frame getAttrFrame() {
    return getAttr;
  }

  Frame attrReplyFrame() {
    return attrReply;
  }

  ByteBuf getAttrWire() {
    return getAttrWire;
  }

  ByteBuf attrReplyWire() {
    return attrReplyWire;
  }
}
