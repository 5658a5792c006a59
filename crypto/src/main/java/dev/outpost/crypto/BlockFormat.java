package dev.outpost.crypto;

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
  /** Largest plaintext of any block: a maximal chunk (index blocks are smaller). */
  public static final int MAX_PLAIN_BYTES = Chunker.MAX_CHUNK_BYTES;
  /**
   * Largest ciphertext of any block: header, a raw maximal body (zstd is only used when it shrinks the body),
   * tag.
   */
  public static final int MAX_CIPHER_BYTES = 1 + MAX_PLAIN_BYTES + TAG_BYTES;
  /** Smallest ciphertext of a data block (empty body). */
  public static final int MIN_CIPHER_BYTES = 1 + TAG_BYTES;

  private BlockFormat() {}
}
