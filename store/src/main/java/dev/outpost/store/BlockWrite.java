package dev.outpost.store;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;

/**
 * One block for {@link BlockStore#putAll}: its id and its ciphertext (the remaining bytes of {@code
 * cipher}). Short-lived: the buffer stays owned by the caller and is only read during the call.
 */
public record BlockWrite(BlockId id, ByteBuffer cipher) {
  public BlockWrite {
    if (id == null || cipher == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "a block write needs an id and a cipher buffer");
    }
  }
}
