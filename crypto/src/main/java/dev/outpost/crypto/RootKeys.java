package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Wraps a file version's root key under the volume's wrap key (FORMAT.md §5): {@code nonce[12] ‖
 * AES-256-GCM(wrapKey, nonce, rootKey[32], AAD = "outpost/root/v1" ‖ volumeId[16] ‖ u64 inode)}, 60 bytes.
 * The inode in the AAD stops one file's content being passed off as another's. Thread-safe.
 */
public final class RootKeys {
  /** Length of a wrapped key. */
  public static final int WRAPPED_BYTES = Primitives.GCM_NONCE_BYTES + BlockFormat.KEY_BYTES + BlockFormat.TAG_BYTES;
  static final byte[] LABEL = Primitives.ascii("outpost/root/v1");

  static {
    if (WRAPPED_BYTES > RootRef.MAX_WRAPPED_KEY_BYTES) {
      throw new ExceptionInInitializerError("wrapped key does not fit RootRef");
    }
  }

  private RootKeys() {}

  /** Wraps {@code rootKey} (32 bytes) for {@code inode} with a fresh random nonce. */
  public static byte[] wrap(VolumeKey volumeKey, long inode, byte[] rootKey, SecureRandom random) {
    byte[] nonce = new byte[Primitives.GCM_NONCE_BYTES];
    random.nextBytes(nonce);
    return wrap(volumeKey, inode, rootKey, nonce);
  }

  /** As {@link #wrap(VolumeKey, long, byte[], SecureRandom)} with a given nonce; for known-answer tests. */
  static byte[] wrap(VolumeKey volumeKey, long inode, byte[] rootKey, byte[] nonce) {
    if (rootKey == null || rootKey.length != BlockFormat.KEY_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "root key must be 32 bytes");
    }
    byte[] out = Arrays.copyOf(nonce, WRAPPED_BYTES);
    byte[] aad = aad(volumeKey, inode);
    Gcm.encrypt(Primitives.get().gcm, volumeKey.wrapKey().borrow(), nonce, aad, 0, aad.length,
        rootKey, 0, rootKey.length, out, Primitives.GCM_NONCE_BYTES);
    return out;
  }

  /**
   * Recovers the root key of {@code inode}.
   *
   * @throws OutpostException BLOCK_CORRUPT if the wrapped key is malformed, tampered with, wrapped for
   *     another inode or volume, or under another volume key
   */
  public static byte[] unwrap(VolumeKey volumeKey, long inode, byte[] wrapped) {
    if (wrapped == null || wrapped.length != WRAPPED_BYTES) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT,
          "wrapped root key must be " + WRAPPED_BYTES + " bytes, got " + (wrapped == null ? "null" : wrapped.length));
    }
    byte[] nonce = Arrays.copyOf(wrapped, Primitives.GCM_NONCE_BYTES);
    byte[] aad = aad(volumeKey, inode);
    byte[] key = new byte[BlockFormat.KEY_BYTES];
    Gcm.decrypt(Primitives.get().gcm, volumeKey.wrapKey().borrow(), nonce, aad, 0, aad.length,
        wrapped, Primitives.GCM_NONCE_BYTES, wrapped.length - Primitives.GCM_NONCE_BYTES, key, 0,
        "root key of inode " + inode + " (wrong volume key, wrong inode, or tampered)");
    return key;
  }

  private static byte[] aad(VolumeKey volumeKey, long inode) {
    return ByteBuffer.allocate(LABEL.length + VolumeKey.VOLUME_ID_BYTES + Long.BYTES)
        .put(LABEL).put(volumeKey.volumeId()).putLong(inode).array();
  }
}
