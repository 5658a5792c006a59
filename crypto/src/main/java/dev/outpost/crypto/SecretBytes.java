package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.Arrays;
import javax.security.auth.Destroyable;

/**
 * Key bytes that can be wiped. Users take short-lived copies ({@link #copy()}) and zero them when done, so
 * destroying the owner leaves no live reference to the secret in this object.
 */
final class SecretBytes implements Destroyable {
  private final byte[] bytes;
  private volatile boolean destroyed;

  /** Takes ownership of {@code bytes} (no copy). */
  SecretBytes(byte[] bytes) {
    this.bytes = bytes;
  }

  int length() {
    return bytes.length;
  }

  /** A copy for the caller, who should zero it after use. */
  byte[] copy() {
    checkLive();
    return bytes.clone();
  }

  /** The live array, for package code that needs it for one call and never keeps it. */
  byte[] borrow() {
    checkLive();
    return bytes;
  }

  private void checkLive() {
    if (destroyed) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "key material has been destroyed");
    }
  }

  @Override
  public void destroy() {
    destroyed = true;
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }
}
