package dev.outpost.crypto;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Opens data blocks (FORMAT.md §3): checks the header and the GCM tag (which covers a zstd block's stored
 * nonce too) and, for zstd bodies, decompresses into exactly the plaintext length the parent entry promised (a
 * frame that would produce more is refused, and no buffer is sized from anything inside the block). Does not hash the ciphertext: check the id with {@link BlockIds}
 * where the bytes came from an untrusted store (the tag already binds them to the key).
 *
 * <p>Thread-safe; no partial plaintext is ever returned or left in a caller's buffer on failure.
 */
public final class BlockOpener {
  private BlockOpener() {}

  /** @see #open(byte[], byte[], int, int, int) */
  public static byte[] open(byte[] key, byte[] cipher, int plainLength) {
    return open(key, cipher, 0, cipher.length, plainLength);
  }

  /**
   * @param plainLength the chunk length from the parent entry (or the file size for a depth-0 root)
   * @return a fresh array of exactly {@code plainLength} bytes
   * @throws OutpostException BLOCK_CORRUPT if the block is not a data block, fails its tag, or does not
   *     hold exactly {@code plainLength} bytes; INVALID_ARGUMENT for a bad key or length
   */
  public static byte[] open(byte[] key, byte[] cipher, int offset, int length, int plainLength) {
    java.util.Objects.checkFromIndexSize(offset, length, cipher.length);
    byte header = checkShape(key, length, plainLength, length > 0 ? cipher[offset] : 0);
    Primitives p = Primitives.get();
    byte[] out = new byte[plainLength];
    if (header == BlockFormat.DATA_RAW) {
      Gcm.decrypt(p.gcm, key, Gcm.ZERO_NONCE, cipher, offset, 1, cipher, offset + 1, length - 1, out, 0,
          "data block");
      return out;
    }
    int bodyLength = length - BlockFormat.MIN_ZSTD_CIPHER_BYTES;
    byte[] nonce = Arrays.copyOfRange(cipher, offset + 1, offset + BlockFormat.ZSTD_PREFIX_BYTES);
    Gcm.decrypt(p.gcm, key, nonce, cipher, offset, BlockFormat.ZSTD_PREFIX_BYTES,
        cipher, offset + BlockFormat.ZSTD_PREFIX_BYTES, length - BlockFormat.ZSTD_PREFIX_BYTES, p.scratch, 0,
        "data block");
    try {
      decompress(p.scratch, bodyLength, out, null, plainLength);
    } finally {
      Arrays.fill(p.scratch, 0, bodyLength, (byte) 0);
    }
    return out;
  }

  /**
   * Opens {@code cipher}'s remaining bytes into {@code plainOut} at its position; on success both buffers
   * advance ({@code plainOut} by exactly {@code plainLength}), on failure neither does and the target range is
   * zeroed.
   */
  public static void openInto(byte[] key, ByteBuffer cipher, ByteBuffer plainOut, int plainLength) {
    int length = cipher.remaining();
    byte header = checkShape(key, length, plainLength, length > 0 ? cipher.get(cipher.position()) : 0);
    if (plainOut.remaining() < plainLength) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "plaintext buffer has " + plainOut.remaining() + " bytes, needs " + plainLength);
    }
    Primitives p = Primitives.get();
    ByteBuffer in = cipher.duplicate();
    if (header == BlockFormat.DATA_RAW) {
      in.position(in.position() + 1);
      Gcm.decrypt(p.gcm, key, Gcm.ZERO_NONCE, new byte[] {header}, in, plainOut, "data block");
    } else {
      byte[] aad = new byte[BlockFormat.ZSTD_PREFIX_BYTES];
      in.get(aad);
      byte[] nonce = Arrays.copyOfRange(aad, 1, BlockFormat.ZSTD_PREFIX_BYTES);
      int bodyLength = length - BlockFormat.MIN_ZSTD_CIPHER_BYTES;
      Gcm.decrypt(p.gcm, key, nonce, aad, in, ByteBuffer.wrap(p.scratch), "data block");
      try {
        decompress(p.scratch, bodyLength, null, plainOut, plainLength);
      } finally {
        Arrays.fill(p.scratch, 0, bodyLength, (byte) 0);
      }
      plainOut.position(plainOut.position() + plainLength);
    }
    cipher.position(cipher.limit());
  }

  private static byte checkShape(byte[] key, int length, int plainLength, byte header) {
    if (key == null || key.length != BlockFormat.KEY_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "block key must be 32 bytes");
    }
    if (plainLength < 0 || plainLength > BlockFormat.MAX_PLAIN_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "plain length " + plainLength + " outside 0.."
          + BlockFormat.MAX_PLAIN_BYTES);
    }
    if (length < BlockFormat.MIN_CIPHER_BYTES || length > BlockFormat.MAX_CIPHER_BYTES) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "data block of " + length + " bytes");
    }
    if (header == BlockFormat.DATA_RAW) {
      if (length - 1 - BlockFormat.TAG_BYTES != plainLength) {
        throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "raw data block holds "
            + (length - 1 - BlockFormat.TAG_BYTES) + " bytes, its entry says " + plainLength);
      }
    } else if (header == BlockFormat.DATA_ZSTD) {
      if (length < BlockFormat.MIN_ZSTD_CIPHER_BYTES) {
        throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "zstd data block of " + length + " bytes has no room for"
            + " its nonce and tag");
      }
    } else {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT,
          header == BlockFormat.INDEX ? "expected a data block, got an index block" : "unknown block type " + header);
    }
    return header;
  }

  /** Decompresses into exactly {@code plainLength} bytes of {@code outArray} or {@code outBuffer}. */
  private static void decompress(byte[] body, int bodyLength, byte[] outArray, ByteBuffer outBuffer, int plainLength) {
    ZstdDecompressCtx z = Primitives.takeDecompressor();
    int n;
    try {
      if (outArray != null) {
        n = z.decompressByteArray(outArray, 0, plainLength, body, 0, bodyLength);
      } else if (outBuffer.hasArray()) {
        n = z.decompressByteArray(outBuffer.array(), outBuffer.arrayOffset() + outBuffer.position(), plainLength,
            body, 0, bodyLength);
      } else {
        n = z.decompressByteArrayToDirectByteBuffer(outBuffer, outBuffer.position(), plainLength, body, 0, bodyLength);
      }
    } catch (ZstdException e) {
      zero(outArray, outBuffer, plainLength);
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT,
          "zstd body does not decompress to " + plainLength + " bytes: " + e.getMessage());
    } finally {
      Primitives.giveBack(z);
    }
    if (n != plainLength) {
      zero(outArray, outBuffer, plainLength);
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT,
          "zstd body decompresses to " + n + " bytes, its entry says " + plainLength);
    }
  }

  private static void zero(byte[] outArray, ByteBuffer outBuffer, int length) {
    if (outArray != null) {
      Arrays.fill(outArray, 0, length, (byte) 0);
    } else {
      for (int i = 0; i < length; i++) {
        outBuffer.put(outBuffer.position() + i, (byte) 0);
      }
    }
  }
}
