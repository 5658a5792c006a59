package dev.outpost.crypto;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ArrayBlockingQueue;
import javax.crypto.Cipher;
import javax.crypto.KDF;
import javax.crypto.Mac;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Per-thread JDK primitives and pooled zstd contexts. Cipher, Mac and MessageDigest are not thread-safe, so
 * each thread gets its own; zstd contexts hold native memory that a dead thread would leak, so they come
 * from a small bounded pool instead of a ThreadLocal.
 */
final class Primitives {
  static final int SHA256_BYTES = 32;
  static final int GCM_TAG_BYTES = 16;
  static final int GCM_NONCE_BYTES = 12;
  static final int ZSTD_LEVEL = 3;

  private static final ThreadLocal<Primitives> LOCAL = ThreadLocal.withInitial(Primitives::new);
  private static final ArrayBlockingQueue<ZstdCompressCtx> COMPRESSORS = new ArrayBlockingQueue<>(16);
  private static final ArrayBlockingQueue<ZstdDecompressCtx> DECOMPRESSORS = new ArrayBlockingQueue<>(16);

  final MessageDigest sha256;
  final Mac hmac;
  final Cipher gcm;
  /** Scratch for compressed bodies; holds compressBound(MAX_PLAIN_BYTES). */
  final byte[] scratch;

  private Primitives() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
      hmac = Mac.getInstance("HmacSHA256");
      gcm = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "JDK lacks SHA-256, HmacSHA256 or AES/GCM", e);
    }
    scratch = new byte[(int) Zstd.compressBound(BlockFormat.MAX_PLAIN_BYTES) + GCM_TAG_BYTES];
  }

  private java.nio.ByteBuffer directScratch;
  private byte[] cipherStage;

  /** Heap copy room for one block's ciphertext, for decrypting out of direct buffers; allocated on first use. */
  byte[] cipherStage() {
    if (cipherStage == null) {
      cipherStage = new byte[BlockFormat.MAX_CIPHER_BYTES];
    }
    return cipherStage;
  }

  /** Direct scratch of the same size, for zstd calls on direct buffers; allocated on first use. */
  java.nio.ByteBuffer directScratch() {
    if (directScratch == null) {
      directScratch = java.nio.ByteBuffer.allocateDirect(scratch.length);
    }
    return directScratch.clear();
  }

  static Primitives get() {
    return LOCAL.get();
  }

  static ZstdCompressCtx takeCompressor() {
    ZstdCompressCtx ctx = COMPRESSORS.poll();
    if (ctx == null) {
      ctx = new ZstdCompressCtx();
      ctx.setLevel(ZSTD_LEVEL);
    }
    return ctx;
  }

  static void giveBack(ZstdCompressCtx ctx) {
    ctx.reset();
    ctx.setLevel(ZSTD_LEVEL);
    if (!COMPRESSORS.offer(ctx)) {
      ctx.close();
    }
  }

  static ZstdDecompressCtx takeDecompressor() {
    ZstdDecompressCtx ctx = DECOMPRESSORS.poll();
    return ctx != null ? ctx : new ZstdDecompressCtx();
  }

  static void giveBack(ZstdDecompressCtx ctx) {
    ctx.reset();
    if (!DECOMPRESSORS.offer(ctx)) {
      ctx.close();
    }
  }

  /** HKDF-SHA256 (RFC 5869) through the JDK's KDF API. */
  static byte[] hkdf(byte[] ikm, byte[] salt, String info, int length) {
    return hkdf(ikm, salt, info.getBytes(StandardCharsets.US_ASCII), length);
  }

  static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info, int length) {
    try {
      KDF kdf = KDF.getInstance("HKDF-SHA256");
      return kdf.deriveData(HKDFParameterSpec.ofExtract().addIKM(ikm).addSalt(salt)
          .thenExpand(info, length));
    } catch (NoSuchAlgorithmException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "JDK lacks HKDF-SHA256", e);
    } catch (GeneralSecurityException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "HKDF failed", e);
    }
  }

  static SecretKeySpec aesKey(byte[] key) {
    return new SecretKeySpec(key, "AES");
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
