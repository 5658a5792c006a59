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
 * ‖ SHA-256(plaintext)), so equal plaintexts in one volume give equal blocks (dedup), while outsiders without
 * the volume key cannot confirm a guessed file.
 *
 * <p>Thread-safe: Cipher, Mac and MessageDigest are per thread, zstd contexts pooled. Holds its own copy of
 * the convergence secret; {@link #destroy()} wipes it.
 */
public final class BlockSealer implements Destroyable {
  static final byte[] BLOCK_LABEL = Primitives.ascii("outpost/block/v1");

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
    byte[] key = convergentKey(p, p.sha256.digest());
    int zlen = compress(plain, offset, length, p.scratch);
    boolean zstd = useZstd(zlen, length);
    byte[] body = zstd ? p.scratch : plain;
    int bodyOff = zstd ? 0 : offset;
    int bodyLen = zstd ? zlen : length;
    byte[] cipher = new byte[1 + bodyLen + BlockFormat.TAG_BYTES];
    cipher[0] = zstd ? BlockFormat.DATA_ZSTD : BlockFormat.DATA_RAW;
    Gcm.encrypt(p.gcm, key, Gcm.ZERO_NONCE, cipher, 0, 1, body, bodyOff, bodyLen, cipher, 1);
    if (zstd) {
      Arrays.fill(p.scratch, 0, zlen, (byte) 0);
    }
    p.sha256.update(cipher);
    return new SealedBlock(BlockId.of(p.sha256.digest()), key, cipher, length);
  }

  /**
   * Seals {@code plain}'s remaining bytes into {@code cipherOut} at its position, advancing both buffers.
   * {@code cipherOut} needs room for the worst case, plain length + 17 bytes.
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
    byte[] key = convergentKey(p, p.sha256.digest());
    ByteBuffer body;
    int zlen;
    if (plain.hasArray()) {
      zlen = compress(plain.array(), plain.arrayOffset() + plain.position(), length, p.scratch);
      body = useZstd(zlen, length) ? ByteBuffer.wrap(p.scratch, 0, zlen) : plain;
    } else {
      ByteBuffer direct = p.directScratch();
      ZstdCompressCtx z = Primitives.takeCompressor();
      try {
        zlen = z.compressDirectByteBuffer(direct, 0, direct.capacity(), plain, plain.position(), length);
      } catch (ZstdException e) {
        throw new OutpostException(ErrorCode.INTERNAL, "zstd compression failed", e);
      } finally {
        Primitives.giveBack(z);
      }
      body = useZstd(zlen, length) ? direct.slice(0, zlen) : plain;
    }
    boolean zstd = body != plain;
    int start = cipherOut.position();
    byte header = zstd ? BlockFormat.DATA_ZSTD : BlockFormat.DATA_RAW;
    cipherOut.put(header);
    Gcm.encrypt(p.gcm, key, Gcm.ZERO_NONCE, new byte[] {header}, body, cipherOut);
    if (zstd) {
      wipe(body, zlen);
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
    byte[] key = convergentKey(p, p.sha256.digest());
    byte[] cipher = new byte[plain.length + BlockFormat.TAG_BYTES];
    System.arraycopy(plain, 0, cipher, 0, publicLength);
    Gcm.encrypt(p.gcm, key, Gcm.ZERO_NONCE, plain, 0, publicLength,
        plain, publicLength, plain.length - publicLength, cipher, publicLength);
    Arrays.fill(plain, (byte) 0);
    p.sha256.update(cipher);
    return new SealedBlock(BlockId.of(p.sha256.digest()), key, cipher, plain.length);
  }

  /** Zstd is used when its frame is at least 10% smaller: 10 × compressed ≤ 9 × plain. */
  static boolean useZstd(int compressedLength, int plainLength) {
    return 10L * compressedLength <= 9L * plainLength;
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

  private byte[] convergentKey(Primitives p, byte[] plainHash) {
    Mac mac = p.hmac;
    byte[] secret = convergence.borrow();
    try {
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    } catch (InvalidKeyException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "HMAC init failed", e);
    }
    mac.update(BLOCK_LABEL);
    mac.update(plainHash);
    return mac.doFinal();
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
