package dev.outpost.crypto;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.Destroyable;

/**
 * Seals blocks convergently (FORMAT.md §3–4): the key is HMAC-SHA256(convergence secret, "outpost/block/v1"
 * ‖ header byte ‖ SHA-256(plaintext)), so equal plaintexts in one volume give equal blocks (dedup), while
 * outsiders without the volume key cannot confirm a guessed file. Raw and index blocks are pure functions of
 * their key and use the zero nonce; a zstd block stores a nonce derived from its compressed body, so two
 * writers whose zstd output differs never encrypt two bodies under one (key, nonce).
 *
 * <p>Thread-safe: Cipher, Mac and MessageDigest are per thread, zstd contexts pooled. Holds its own copy of
 * the convergence secret; {@link #destroy()} wipes it.
 */
public final class BlockSealer implements Destroyable {
  static final byte[] BLOCK_LABEL = Primitives.ascii("outpost/block/v1");
  static final byte[] NONCE_LABEL = Primitives.ascii("outpost/nonce/v1");

  private final SecretBytes convergence;

  public BlockSealer(VolumeKey volumeKey) {
    this.convergence = new SecretBytes(volumeKey.convergenceSecret().copy());
  }

  /** Seals one data chunk. */
  public SealedBlock seal(byte[] plain) {
    return seal(plain, 0, plain.length);
  }

  /**
   * Seals one data chunk of {@code length} bytes (0..{@link BlockFormat#MAX_PLAIN_BYTES}). The input is not
   * kept; the result owns fresh arrays.
   */
  public SealedBlock seal(byte[] plain, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, plain.length);
    checkPlainLength(length);
    Primitives p = Primitives.get();
    p.sha256.update(plain, offset, length);
    byte[] plainHash = p.sha256.digest();
    int zlen = compress(plain, offset, length, p.scratch);
    if (!useZstd(zlen, length)) {
      return sealRaw(plainHash, plain, offset, length);
    }
    try {
      return sealZstd(plainHash, p.scratch, zlen, length);
    } finally {
      Arrays.fill(p.scratch, 0, zlen, (byte) 0);
    }
  }

  /** The raw block of a plaintext whose SHA-256 is {@code plainHash}: zero nonce, AAD = header. */
  SealedBlock sealRaw(byte[] plainHash, byte[] plain, int offset, int length) {
    Primitives p = Primitives.get();
    byte[] key = convergentKey(BlockFormat.DATA_RAW, plainHash);
    byte[] cipher = new byte[1 + length + BlockFormat.TAG_BYTES];
    cipher[0] = BlockFormat.DATA_RAW;
    Gcm.encrypt(p.gcm, key, Gcm.ZERO_NONCE, cipher, 0, 1, plain, offset, length, cipher, 1);
    p.sha256.update(cipher);
    return new SealedBlock(BlockId.of(p.sha256.digest()), key, cipher, length);
  }

  /**
   * The zstd block of a plaintext of {@code plainLength} bytes whose SHA-256 is {@code plainHash}, with
   * {@code frame[0..frameLength)} as its body (any zstd frame of that plaintext opens; only the documented one
   * deduplicates): nonce from the frame, stored after the header, AAD = header ‖ nonce.
   */
  SealedBlock sealZstd(byte[] plainHash, byte[] frame, int frameLength, int plainLength) {
    Primitives p = Primitives.get();
    byte[] key = convergentKey(BlockFormat.DATA_ZSTD, plainHash);
    byte[] nonce = bodyNonce(ByteBuffer.wrap(frame, 0, frameLength));
    byte[] cipher = new byte[BlockFormat.ZSTD_PREFIX_BYTES + frameLength + BlockFormat.TAG_BYTES];
    cipher[0] = BlockFormat.DATA_ZSTD;
    System.arraycopy(nonce, 0, cipher, 1, BlockFormat.NONCE_BYTES);
    Gcm.encrypt(p.gcm, key, nonce, cipher, 0, BlockFormat.ZSTD_PREFIX_BYTES, frame, 0, frameLength,
        cipher, BlockFormat.ZSTD_PREFIX_BYTES);
    p.sha256.update(cipher);
    return new SealedBlock(BlockId.of(p.sha256.digest()), key, cipher, plainLength);
  }

  /**
   * Seals {@code plain}'s remaining bytes into {@code cipherOut} at its position, advancing both buffers.
   * {@code cipherOut} needs room for the worst case, plain length + 17 bytes (a raw block; a zstd block is never
   * longer).
   *
   * @return the entry for the new block; its cipher is the bytes just written
   * @throws OutpostException INVALID_ARGUMENT if the plaintext is too long or {@code cipherOut} too small
   */
  public ChildRef sealInto(ByteBuffer plain, ByteBuffer cipherOut) {
    int length = plain.remaining();
    checkPlainLength(length);
    if (cipherOut.remaining() < length + 1 + BlockFormat.TAG_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "cipher buffer has " + cipherOut.remaining() + " bytes, needs " + (length + 1 + BlockFormat.TAG_BYTES));
    }
    if (length == 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "an empty chunk has no entry");
    }
    Primitives p = Primitives.get();
    p.sha256.update(plain.duplicate());
    byte[] plainHash = p.sha256.digest();
    ByteBuffer compressed;
    if (plain.hasArray()) {
      int zlen = compress(plain.array(), plain.arrayOffset() + plain.position(), length, p.scratch);
      compressed = ByteBuffer.wrap(p.scratch, 0, zlen);
    } else {
      ByteBuffer direct = p.directScratch();
      ZstdCompressCtx z = Primitives.takeCompressor();
      try {
        int zlen = z.compressDirectByteBuffer(direct, 0, direct.capacity(), plain, plain.position(), length);
        compressed = direct.slice(0, zlen);
      } catch (ZstdException e) {
        throw new OutpostException(ErrorCode.INTERNAL, "zstd compression failed", e);
      } finally {
        Primitives.giveBack(z);
      }
    }
    int start = cipherOut.position();
    byte[] key;
    int zlen = compressed.remaining();
    if (useZstd(zlen, length)) {
      key = convergentKey(BlockFormat.DATA_ZSTD, plainHash);
      byte[] nonce = bodyNonce(compressed.duplicate());
      byte[] aad = new byte[BlockFormat.ZSTD_PREFIX_BYTES];
      aad[0] = BlockFormat.DATA_ZSTD;
      System.arraycopy(nonce, 0, aad, 1, BlockFormat.NONCE_BYTES);
      cipherOut.put(aad);
      Gcm.encrypt(p.gcm, key, nonce, aad, compressed.duplicate(), cipherOut);
      wipe(compressed, zlen);
    } else {
      key = convergentKey(BlockFormat.DATA_RAW, plainHash);
      cipherOut.put(BlockFormat.DATA_RAW);
      Gcm.encrypt(p.gcm, key, Gcm.ZERO_NONCE, new byte[] {BlockFormat.DATA_RAW}, plain.duplicate(), cipherOut);
    }
    plain.position(plain.limit());
    int cipherLength = cipherOut.position() - start;
    p.sha256.update(cipherOut.duplicate().position(start).limit(start + cipherLength));
    return new ChildRef(BlockId.of(p.sha256.digest()), cipherLength, key, length);
  }

  /**
   * Seals an index block of {@code level} over {@code children} (FORMAT.md §4). The plaintext buffer, which
   * holds child keys, is wiped before returning.
   */
  SealedBlock sealIndex(int level, List<ChildRef> children) {
    int count = children.size();
    int publicLength = IndexBlock.publicLength(count);
    byte[] plain = new byte[publicLength + count * IndexBlock.SEALED_ENTRY_BYTES];
    ByteBuffer pb = ByteBuffer.wrap(plain);
    pb.put(BlockFormat.INDEX).put((byte) level).putInt(count);
    for (ChildRef c : children) {
      c.id().copyTo(plain, pb.position());
      pb.position(pb.position() + BlockId.BYTES);
      pb.putInt(c.cipherLength());
    }
    for (ChildRef c : children) {
      pb.put(c.key()).putLong(c.plainBytes());
    }
    Primitives p = Primitives.get();
    p.sha256.update(plain);
    byte[] key = convergentKey(BlockFormat.INDEX, p.sha256.digest());
    byte[] cipher = new byte[plain.length + BlockFormat.TAG_BYTES];
    System.arraycopy(plain, 0, cipher, 0, publicLength);
    Gcm.encrypt(p.gcm, key, Gcm.ZERO_NONCE, plain, 0, publicLength,
        plain, publicLength, plain.length - publicLength, cipher, publicLength);
    Arrays.fill(plain, (byte) 0);
    p.sha256.update(cipher);
    return new SealedBlock(BlockId.of(p.sha256.digest()), key, cipher, plain.length);
  }

  /**
   * Zstd is used when the stored nonce plus the frame are at least 10% smaller than the plaintext:
   * 10 × (12 + compressed) ≤ 9 × plain. Counting the nonce keeps a zstd block no longer than the raw block of
   * the same plaintext, so plain length + 17 bounds every data block.
   */
  static boolean useZstd(int compressedLength, int plainLength) {
    return 10L * (BlockFormat.NONCE_BYTES + compressedLength) <= 9L * plainLength;
  }

  private static int compress(byte[] plain, int offset, int length, byte[] dst) {
    ZstdCompressCtx z = Primitives.takeCompressor();
    try {
      return z.compressByteArray(dst, 0, dst.length, plain, offset, length);
    } catch (ZstdException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "zstd compression failed", e);
    } finally {
      Primitives.giveBack(z);
    }
  }

  /** HMAC-SHA256(C, "outpost/block/v1" ‖ header ‖ hash): the header keeps raw and zstd bodies apart. */
  private byte[] convergentKey(byte header, byte[] plainHash) {
    Mac mac = convergenceMac();
    mac.update(BLOCK_LABEL);
    mac.update(header);
    mac.update(plainHash);
    return mac.doFinal();
  }

  /**
   * The stored nonce of a zstd block: the first 12 bytes of HMAC-SHA256(C, "outpost/nonce/v1" ‖ frame).
   * Keyed rather than a plain hash of the frame, because a plain hash would let anyone without the volume key
   * confirm a guessed plaintext by compressing it. Consumes {@code frame}.
   */
  private byte[] bodyNonce(ByteBuffer frame) {
    Mac mac = convergenceMac();
    mac.update(NONCE_LABEL);
    mac.update(frame);
    return Arrays.copyOf(mac.doFinal(), BlockFormat.NONCE_BYTES);
  }

  private Mac convergenceMac() {
    Mac mac = Primitives.get().hmac;
    byte[] secret = convergence.borrow();
    try {
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    } catch (InvalidKeyException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "HMAC init failed", e);
    }
    return mac;
  }

  private static void checkPlainLength(int length) {
    if (length > BlockFormat.MAX_PLAIN_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "block plaintext of " + length + " bytes exceeds " + BlockFormat.MAX_PLAIN_BYTES);
    }
  }

  /** Compressed plaintext is still plaintext: scratch buffers are zeroed after use. */
  private static void wipe(ByteBuffer scratch, int length) {
    if (scratch.hasArray()) {
      Arrays.fill(scratch.array(), scratch.arrayOffset(), scratch.arrayOffset() + length, (byte) 0);
    } else {
      for (int i = 0; i < length; i++) {
        scratch.put(i, (byte) 0);
      }
    }
  }

  @Override
  public void destroy() {
    convergence.destroy();
  }

  @Override
  public boolean isDestroyed() {
    return convergence.isDestroyed();
  }
}
