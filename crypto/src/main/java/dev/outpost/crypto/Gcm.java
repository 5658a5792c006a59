package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a 128-bit tag over the JDK provider, translating its exceptions at one place: a bad tag
 * becomes BLOCK_CORRUPT, anything else INTERNAL.
 */
final class Gcm {
  static final byte[] ZERO_NONCE = new byte[Primitives.GCM_NONCE_BYTES];
  private static final byte[] SPARE_NONCE = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

  private Gcm() {}

  /**
   * Inits {@code c} for encryption. The JDK refuses to encrypt twice in a row with the same key and nonce on
   * one Cipher object; that happens legitimately when a thread seals the same plaintext twice (convergent
   * keys), so on that refusal the Cipher is moved to a spare nonce first and then re-inited.
   */
  static void initEncrypt(Cipher c, byte[] key, byte[] nonce) {
    SecretKeySpec k = Primitives.aesKey(key);
    try {
      try {
        c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
      } catch (InvalidAlgorithmParameterException reuse) {
        c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, SPARE_NONCE));
        c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
      }
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "AES-GCM init failed", e);
    }
  }

  static void initDecrypt(Cipher c, byte[] key, byte[] nonce) {
    try {
      c.init(Cipher.DECRYPT_MODE, Primitives.aesKey(key), new GCMParameterSpec(128, nonce));
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "AES-GCM init failed", e);
    }
  }

  /** Encrypts {@code in} into {@code out} at {@code outOff} (length inLen + 16) after the AAD. */
  static void encrypt(Cipher c, byte[] key, byte[] nonce, byte[] aad, int aadOff, int aadLen,
      byte[] in, int inOff, int inLen, byte[] out, int outOff) {
    initEncrypt(c, key, nonce);
    try {
      c.updateAAD(aad, aadOff, aadLen);
      c.doFinal(in, inOff, inLen, out, outOff);
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "AES-GCM encryption failed", e);
    }
  }

  static void encrypt(Cipher c, byte[] key, byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out) {
    initEncrypt(c, key, nonce);
    try {
      c.updateAAD(aad);
      c.doFinal(in, out);
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "AES-GCM encryption failed", e);
    }
  }

  /**
   * Decrypts and verifies; on a bad tag zeroes {@code out}'s target range and throws BLOCK_CORRUPT with
   * {@code what} in the message.
   */
  static int decrypt(Cipher c, byte[] key, byte[] nonce, byte[] aad, int aadOff, int aadLen,
      byte[] in, int inOff, int inLen, byte[] out, int outOff, String what) {
    initDecrypt(c, key, nonce);
    try {
      c.updateAAD(aad, aadOff, aadLen);
      return c.doFinal(in, inOff, inLen, out, outOff);
    } catch (AEADBadTagException e) {
      java.util.Arrays.fill(out, outOff, Math.min(out.length, outOff + Math.max(0, inLen - Primitives.GCM_TAG_BYTES)),
          (byte) 0);
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, what + ": authentication tag does not verify");
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "AES-GCM decryption failed", e);
    }
  }

  static int decrypt(Cipher c, byte[] key, byte[] nonce, byte[] aad, ByteBuffer in, ByteBuffer out, String what) {
    int length = in.remaining();
    if (in.isDirect() && out.hasArray() && length <= BlockFormat.MAX_CIPHER_BYTES) {
      // The JDK's GCM runs ~2.7x faster array-to-array than out of a direct buffer (CryptoStepsBenchmark):
      // staging the ciphertext in a heap copy first is the cheaper path for blocks read off the network.
      byte[] stage = Primitives.get().cipherStage();
      in.get(in.position(), stage, 0, length);
      int n = decrypt(c, key, nonce, aad, 0, aad.length, stage, 0, length, out.array(),
          out.arrayOffset() + out.position(), what);
      in.position(in.limit());
      out.position(out.position() + n);
      return n;
    }
    initDecrypt(c, key, nonce);
    int start = out.position();
    int expected = in.remaining() - Primitives.GCM_TAG_BYTES;
    try {
      c.updateAAD(aad);
      return c.doFinal(in, out);
    } catch (AEADBadTagException e) {
      for (int i = start; i < Math.min(out.limit(), start + Math.max(0, expected)); i++) {
        out.put(i, (byte) 0);
      }
      out.position(start);
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, what + ": authentication tag does not verify");
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "AES-GCM decryption failed", e);
    }
  }
}
