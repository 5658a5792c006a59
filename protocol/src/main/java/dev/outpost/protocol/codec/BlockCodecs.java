package dev.outpost.protocol.codec;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.BlockMissing;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.HasBlocks;
import dev.outpost.protocol.MissingBlocks;
import dev.outpost.protocol.ProtocolException;
import dev.outpost.protocol.PutBlock;
import io.netty.buffer.ByteBuf;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Block transfer. BlockData and PutBlock end with their payload, which is never copied on decode. */
final class BlockCodecs {
  private BlockCodecs() {}

  /** list of BlockId. */
  static final BodyCodec<GetBlocks> GET_BLOCKS = BodyCodec.of(
      (m, out) -> BodyWriter.list(out, m.ids(), BodyWriter::blockId),
      in -> new GetBlocks(in.list(BlockId.BYTES, BodyReader::blockId)));

  /** list of BlockId. */
  static final BodyCodec<HasBlocks> HAS_BLOCKS = BodyCodec.of(
      (m, out) -> BodyWriter.list(out, m.ids(), BodyWriter::blockId),
      in -> new HasBlocks(in.list(BlockId.BYTES, BodyReader::blockId)));

  /** list of BlockId. */
  static final BodyCodec<MissingBlocks> MISSING_BLOCKS = BodyCodec.of(
      (m, out) -> BodyWriter.list(out, m.missing(), BodyWriter::blockId),
      in -> new MissingBlocks(in.list(BlockId.BYTES, BodyReader::blockId)));

  /** BlockId. */
  static final BodyCodec<BlockMissing> BLOCK_MISSING =
      BodyCodec.of((m, out) -> BodyWriter.blockId(out, m.id()), in -> new BlockMissing(in.blockId()));

  /** BlockId, u32 length, payload of that length (the rest of the body). */
  static final BodyCodec<BlockData> BLOCK_DATA =
      new PayloadCodec<>(BlockData::new, BlockData::id, BlockData::cipher);

  /** BlockId, u32 length, payload of that length (the rest of the body). */
  static final BodyCodec<PutBlock> PUT_BLOCK = new PayloadCodec<>(PutBlock::new, PutBlock::id, PutBlock::cipher);

  /** The shared layout of the two payload messages. */
  private record PayloadCodec<M extends dev.outpost.protocol.Message>(BiFunction<BlockId, ByteBuf, M> factory,
      Function<M, BlockId> id, Function<M, ByteBuf> cipher) implements BodyCodec<M> {

    @Override
    public void encode(M message, ByteBuf out) {
      int length = cipher.apply(message).readableBytes();
      // The buffer may have been written to since the record checked it.
      if (length < 1 || length > Frames.MAX_BLOCK_BYTES) {
        throw new ProtocolException(ErrorCode.INVALID_ARGUMENT,
            "block payload of " + length + " bytes outside 1.." + Frames.MAX_BLOCK_BYTES, 0);
      }
      BodyWriter.blockId(out, id.apply(message));
      BodyWriter.i32(out, length);
    }

    @Override
    public ByteBuf payload(M message) {
      return cipher.apply(message);
    }

    @Override
    public M decode(BodyReader in) {
      BlockId blockId = in.blockId();
      long length = in.u32();
      if (length != in.readable()) {
        throw in.malformed("block payload claims " + length + " bytes, " + in.readable() + " follow");
      }
      ByteBuf payload = in.retainedSlice((int) length);
      try {
        return factory.apply(blockId, payload);
      } catch (RuntimeException e) {
        payload.release();
        throw e;
      }
    }
  }
}
