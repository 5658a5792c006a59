package dev.outpost.core;

/**
 * A block and the length of its ciphertext: enough to fetch, bound and account for it without a key (index
 * blocks' public parts, LIST_BLOCKS answers, warm jobs). Layers that read one from untrusted bytes also check
 * the length against their own limits (the block format's, the frame's).
 *
 * @param id the block's id
 * @param cipherLength bytes of ciphertext, positive
 */
public record BlockRef(BlockId id, int cipherLength) {
  public BlockRef {
    if (id == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "block ref needs an id");
    }
    if (cipherLength <= 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "block cipher length must be positive: " + cipherLength);
    }
  }
}
