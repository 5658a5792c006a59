package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * Byte-level constants of the block format (FORMAT.md, format version 1), for modules that size buffers or
 * frames by them.
 */
public final class BlockFormat {
  /** Header byte of a data block stored without compression. */
  public static final byte DATA_RAW = 0x01;
  /** Header byte of a data block whose body is one zstd frame. */
  public static final byte DATA_ZSTD = 0x02;
  /** Header byte of an index block. */
  public static final byte INDEX = 0x03;
  /** Length of a block key (AES-256). */
  public static final int KEY_BYTES = 32;
  /** Length of the GCM tag that ends every sealed body. */
  public static final int TAG_BYTES = 16;
  /**
   * Length of the GCM nonce a zstd data block stores right after its header (raw data and index blocks store
   * none: their nonce is zero).
   */
  public static final int NONCE_BYTES = 12;
  /** Largest plaintext of any block: a maximal chunk (index blocks are smaller). */
  public static final int MAX_PLAIN_BYTES = Chunker.MAX_CHUNK_BYTES;
  /**
   * Largest ciphertext of any block: header, a raw maximal body, tag. A zstd block is never longer than the
   * raw block of the same plaintext, because zstd is only used when nonce and frame together are at least 10%
   * smaller than the plaintext; index blocks are at most 22 + 76 × 512 bytes.
   */
  public static final int MAX_CIPHER_BYTES = 1 + MAX_PLAIN_BYTES + TAG_BYTES;
  /**
   * Largest file of a volume, 2^44 bytes (16 TiB, FORMAT.md §4): writers refuse to grow a file past it and the
   * origin refuses a commit that claims more, with FILE_TOO_LARGE.
   */
  public static final long MAX_FILE_BYTES = 1L << 44;
  /** Smallest ciphertext of a data block (a raw empty body). */
  public static final int MIN_CIPHER_BYTES = 1 + TAG_BYTES;
  /** Smallest ciphertext of a zstd data block: header, stored nonce, tag (a real frame adds more). */
  static final int MIN_ZSTD_CIPHER_BYTES = 1 + NONCE_BYTES + TAG_BYTES;
  /** Bytes of a zstd data block before the GCM ciphertext: header and stored nonce, which are also its AAD. */
  static final int ZSTD_PREFIX_BYTES = 1 + NONCE_BYTES;

  private BlockFormat() {}

  /**
   * Checks that a file may have {@code sizeBytes} bytes (a negative value is taken for an overflowed sum).
   *
   * @param path names the file in the message
   * @throws OutpostException FILE_TOO_LARGE "PATH: N bytes is more than the maximum file size, ..." past
   *     {@link #MAX_FILE_BYTES}
   */
  public static void checkFileSize(String path, long sizeBytes) {
    if (sizeBytes < 0 || sizeBytes > MAX_FILE_BYTES) {
      throw new OutpostException(ErrorCode.FILE_TOO_LARGE, path + ": " + (sizeBytes < 0 ? "more than 2^63 - 1"
          : sizeBytes) + " bytes is more than the maximum file size, " + MAX_FILE_BYTES + " bytes (16 TiB)");
    }
  }
}
