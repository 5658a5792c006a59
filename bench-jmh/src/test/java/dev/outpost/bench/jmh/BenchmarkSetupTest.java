package dev.outpost.bench.jmh;

import static dev.outpost.bench.jmh.Payloads.CHUNK_BYTES;
import static dev.outpost.bench.jmh.Payloads.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.Chunker;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each benchmark's setup plus one invocation of every benchmark method: it runs, processes the sizes it
 * claims (so the MiB/s scores mean what they say) and leaks nothing. Not a timing test.
 */
class BenchmarkSetupTest {
  @Test
  void chunkerCutsTheWholeInputWithinTheChunkLimits() throws Exception {
    ChunkerBenchmark b = new ChunkerBenchmark();
    b.setup();
    ChunkTally array = b.byteArray();
    ChunkTally direct = b.directBuffer();
    ChunkTally stream = b.inputStream();
    assertThat(array.bytes).isEqualTo(ChunkerBenchmark.INPUT_BYTES);
    assertThat(array.minNonLastChunkBytes).isGreaterThanOrEqualTo(Chunker.MIN_CHUNK_BYTES);
    assertThat(array.maxChunkBytes).isLessThanOrEqualTo(Chunker.MAX_CHUNK_BYTES);
    // About 72 KiB on average over random data: far from every chunk being minimal or maximal.
    assertThat(array.chunks).isBetween((long) ChunkerBenchmark.INPUT_BYTES / (128 * 1024),
        (long) ChunkerBenchmark.INPUT_BYTES / (32 * 1024));
    for (ChunkTally t : List.of(direct, stream)) {
      assertThat(t.bytes).isEqualTo(array.bytes);
      assertThat(t.chunks).isEqualTo(array.chunks);
      assertThat(t.minNonLastChunkBytes).isEqualTo(array.minNonLastChunkBytes);
      assertThat(t.maxChunkBytes).isEqualTo(array.maxChunkBytes);
    }
  }

  @Test
  void textPayloadIsCompressibleAndRandomPayloadIsNot() {
    byte[] text = Payloads.text(CHUNK_BYTES, 1);
    byte[] random = Payloads.random(CHUNK_BYTES, 1);
    assertThat(text).hasSize(CHUNK_BYTES);
    assertThat(Zstd.compress(text, 3).length).isLessThan(CHUNK_BYTES / 2);
    assertThat(Zstd.compress(random, 3).length).isGreaterThan(CHUNK_BYTES);
  }

  @Test
  void sealingCoversOneMibPerInvocationOnTheRawAndZstdPaths() {
    SealBenchmark b = new SealBenchmark();
    b.setup();
    try {
      long rawCipherBytes = (long) Payloads.CHUNKS_PER_MIB * (CHUNK_BYTES + 1 + BlockFormat.TAG_BYTES);
      assertThat(b.incompressible()).isEqualTo(rawCipherBytes);
      assertThat(b.incompressibleInto()).isEqualTo(rawCipherBytes);
      assertThat(b.compressible()).isLessThan(MIB / 2);
    } finally {
      b.tearDown();
    }
  }

  @Test
  void openingReturnsOneMibOfTheSealedPlaintextPerInvocation() {
    UnsealBenchmark b = new UnsealBenchmark();
    b.setup();
    assertThat(b.incompressible()).isEqualTo(MIB);
    assertThat(b.lastPlain()).isEqualTo(Payloads.random(CHUNK_BYTES, 300 + Payloads.CHUNKS_PER_MIB - 1));
    assertThat(b.compressible()).isEqualTo(MIB);
    assertThat(b.lastPlain()).isEqualTo(Payloads.text(CHUNK_BYTES, 400 + Payloads.CHUNKS_PER_MIB - 1));
    assertThat(b.incompressibleArray()).isEqualTo(MIB);
  }

  @Test
  void cryptoStepsEachHandleOneMib() throws Exception {
    CryptoStepsBenchmark b = new CryptoStepsBenchmark();
    b.setup();
    try {
      assertThat(b.sha256()).isEqualTo(Payloads.CHUNKS_PER_MIB * 32L);
      assertThat(b.zstdIncompressible()).isGreaterThan(MIB);
      assertThat(b.zstdCompressible()).isLessThan(MIB / 2);
      assertThat(b.gcmEncrypt()).isEqualTo(MIB + Payloads.CHUNKS_PER_MIB * (long) BlockFormat.TAG_BYTES);
      assertThat(b.gcmDecryptArray()).isEqualTo(MIB);
      assertThat(b.gcmDecryptDirectToHeap()).isEqualTo(MIB);
      assertThat(b.gcmDecryptDirectCopiedToArray()).isEqualTo(MIB);
      assertThat(b.zstdIncompressibleResetEachChunk()).isEqualTo(b.zstdIncompressible());
      assertThat(b.zstdCompressibleResetEachChunk()).isEqualTo(b.zstdCompressible());
    } finally {
      b.tearDown();
    }
  }

  @Test
  void codecRoundTripsEncodeTheSameBytesTheyDecodeWithoutCopyingThePayload() {
    CodecBenchmark b = new CodecBenchmark();
    b.setup();
    try {
      assertThat(b.getAttr()).isEqualTo(b.getAttrWire().readableBytes());
      assertThat(b.attrReply()).isEqualTo(b.attrReplyWire().readableBytes());
      assertThat(b.blockData()).isEqualTo(b.blockDataWire().readableBytes())
          .isGreaterThan(CHUNK_BYTES);

      assertEncodesTo(b, b.getAttrFrame(), b.getAttrWire());
      assertEncodesTo(b, b.attrReplyFrame(), b.attrReplyWire());
      assertDecodesTo(b, b.getAttrWire(), b.getAttrFrame());
      assertDecodesTo(b, b.attrReplyWire(), b.attrReplyFrame());

      // Encoding passes the payload buffer itself on: same memory, no copy.
      List<ByteBuf> out = b.encode(b.blockDataFrame());
      try {
        assertThat(out).hasSize(2);
        assertThat(out.get(1).memoryAddress()).isEqualTo(b.payload().memoryAddress());
        ByteBuf joined = Unpooled.wrappedBuffer(out.get(0).retainedDuplicate(), out.get(1).retainedDuplicate());
        try {
          assertThat(ByteBufUtil.equals(joined, b.blockDataWire())).isTrue();
        } finally {
          joined.release();
        }
      } finally {
        out.forEach(ByteBuf::release);
      }

      // Decoding slices the payload out of the receive buffer: it ends exactly where the wire bytes end.
      Frame decoded = b.decode(b.blockDataWire());
      try {
        ByteBuf cipher = ((BlockData) decoded.message()).cipher();
        assertThat(cipher.readableBytes()).isEqualTo(CHUNK_BYTES);
        assertThat(ByteBufUtil.equals(cipher, b.payload())).isTrue();
        ByteBuf wire = b.blockDataWire();
        assertThat(cipher.memoryAddress() + cipher.readerIndex())
            .isEqualTo(wire.memoryAddress() + wire.writerIndex() - CHUNK_BYTES);
      } finally {
        decoded.release();
      }
    } finally {
      b.tearDown();
    }
  }

  private static void assertEncodesTo(CodecBenchmark b, Frame frame, ByteBuf wire) {
    List<ByteBuf> out = b.encode(frame);
    try {
      assertThat(out).hasSize(1);
      assertThat(ByteBufUtil.equals(out.get(0), wire)).isTrue();
    } finally {
      out.forEach(ByteBuf::release);
    }
  }

  private static void assertDecodesTo(CodecBenchmark b, ByteBuf wire, Frame expected) {
    Frame decoded = b.decode(wire);
    try {
      assertThat(decoded).isEqualTo(expected);
    } finally {
      decoded.release();
    }
  }

  @Test
  void blockReadsMoveOneMibPerInvocationAndCleanUp() throws Exception {
    LmdbReadBenchmark b = new LmdbReadBenchmark();
    b.blockCount = 64;
    b.setup();
    try {
      assertThat(b.store().count()).isEqualTo(64);
      assertThat(b.store().bytes()).isEqualTo(64L * CHUNK_BYTES);
      assertThat(b.getCopy()).isEqualTo(MIB);
      assertThat(b.withBlock()).isEqualTo(MIB);
    } finally {
      b.tearDown();
    }
    assertThat(Files.exists(b.directory())).isFalse();
  }
}
