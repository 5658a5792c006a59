package dev.outpost.bench.jmh;

import static dev.outpost.bench.jmh.Payloads.CHUNKS_PER_MIB;
import static dev.outpost.bench.jmh.Payloads.CHUNK_BYTES;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The steps of sealing and opening one at a time, on the same 64 KiB chunks as {@link SealBenchmark} and
 * {@link UnsealBenchmark}, to show where their time goes: SHA-256 (sealing hashes the plaintext and the
 * block), zstd level 3 (tried on every chunk), AES-256-GCM each way. One invocation handles one MiB: score
 * MiB/s. No targets; compare with the whole operations.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CryptoStepsBenchmark {
  private static final int TAG_BITS = 128;

  private byte[][] random;
  private byte[][] text;
  private SecretKeySpec[] keys;
  private byte[][] ciphers;
  private ByteBuffer[] directCiphers;
  private byte[] out;
  private final byte[] heapCipher = new byte[CHUNK_BYTES + 16];
  private MessageDigest sha256;
  private ZstdCompressCtx zstd;
  private Cipher gcm;
  private final byte[] nonce = new byte[12];

  @Setup
  public void setup() throws GeneralSecurityException {
    random = new byte[CHUNKS_PER_MIB][];
    text = new byte[CHUNKS_PER_MIB][];
    keys = new SecretKeySpec[CHUNKS_PER_MIB];
    ciphers = new byte[CHUNKS_PER_MIB][];
    directCiphers = new ByteBuffer[CHUNKS_PER_MIB];
    sha256 = MessageDigest.getInstance("SHA-256");
    gcm = Cipher.getInstance("AES/GCM/NoPadding");
    zstd = new ZstdCompressCtx();
    zstd.setLevel(3);
    for (int i = 0; i < CHUNKS_PER_MIB; i++) {
      random[i] = Payloads.random(CHUNK_BYTES, 500 + i);
      text[i] = Payloads.text(CHUNK_BYTES, 600 + i);
      keys[i] = new SecretKeySpec(Payloads.random(32, 700 + i), "AES");
      gcm.init(Cipher.ENCRYPT_MODE, keys[i], new GCMParameterSpec(TAG_BITS, nonce));
      ciphers[i] = gcm.doFinal(random[i]);
      directCiphers[i] = ByteBuffer.allocateDirect(ciphers[i].length).put(ciphers[i]).flip();
    }
    out = new byte[(int) Zstd.compressBound(CHUNK_BYTES) + 16];
  }

  @TearDown
  public void tearDown() {
    zstd.close();
  }

  /** @return the digest bytes (32 per chunk) */
  @Benchmark
  public long sha256() {
    long n = 0;
    for (byte[] chunk : random) {
      n += sha256.digest(chunk).length;
    }
    return n;
  }

  /** @return the compressed bytes (a little more than the input: random data does not shrink) */
  @Benchmark
  public long zstdIncompressible() {
    return compressAll(random);
  }

  /** @return the compressed bytes */
  @Benchmark
  public long zstdCompressible() {
    return compressAll(text);
  }

  /**
   * As {@link #zstdIncompressible} with the context reset and re-leveled after every chunk, as the crypto
   * module's context pool does when a context is given back. @return the compressed bytes
   */
  @Benchmark
  public long zstdIncompressibleResetEachChunk() {
    long n = 0;
    for (byte[] chunk : random) {
      n += zstd.compressByteArray(out, 0, out.length, chunk, 0, chunk.length);
      zstd.reset();
      zstd.setLevel(3);
    }
    return n;
  }

  /** As {@link #zstdCompressible} with the pool's reset after every chunk. @return the compressed bytes */
  @Benchmark
  public long zstdCompressibleResetEachChunk() {
    long n = 0;
    for (byte[] chunk : text) {
      n += zstd.compressByteArray(out, 0, out.length, chunk, 0, chunk.length);
      zstd.reset();
      zstd.setLevel(3);
    }
    return n;
  }

  private long compressAll(byte[][] chunks) {
    long n = 0;
    for (byte[] chunk : chunks) {
      n += zstd.compressByteArray(out, 0, out.length, chunk, 0, chunk.length);
    }
    return n;
  }

  /** @return the ciphertext bytes */
  @Benchmark
  public long gcmEncrypt() throws GeneralSecurityException {
    long n = 0;
    for (int i = 0; i < CHUNKS_PER_MIB; i++) {
      gcm.init(Cipher.ENCRYPT_MODE, keys[i], new GCMParameterSpec(TAG_BITS, nonce));
      n += gcm.doFinal(random[i], 0, CHUNK_BYTES, out, 0);
    }
    return n;
  }

  /** Decrypt between byte arrays, as {@code BlockOpener.open(byte[]...)} does. @return the plaintext bytes */
  @Benchmark
  public long gcmDecryptArray() throws GeneralSecurityException {
    long n = 0;
    for (int i = 0; i < CHUNKS_PER_MIB; i++) {
      gcm.init(Cipher.DECRYPT_MODE, keys[i], new GCMParameterSpec(TAG_BITS, nonce));
      n += gcm.doFinal(ciphers[i], 0, ciphers[i].length, out, 0);
    }
    return n;
  }

  /**
   * Decrypt from a direct buffer into a heap buffer, as {@code BlockOpener.openInto} does on the client's
   * read path. @return the plaintext bytes
   */
  @Benchmark
  public long gcmDecryptDirectToHeap() throws GeneralSecurityException {
    long n = 0;
    for (int i = 0; i < CHUNKS_PER_MIB; i++) {
      gcm.init(Cipher.DECRYPT_MODE, keys[i], new GCMParameterSpec(TAG_BITS, nonce));
      n += gcm.doFinal(directCiphers[i].duplicate(), ByteBuffer.wrap(out));
    }
    return n;
  }

  /**
   * The same input as {@link #gcmDecryptDirectToHeap}, first copied into a heap array and then decrypted
   * array to array: shows whether a copy beats the JDK's direct-buffer GCM path. @return the plaintext bytes
   */
  @Benchmark
  public long gcmDecryptDirectCopiedToArray() throws GeneralSecurityException {
    long n = 0;
    for (int i = 0; i < CHUNKS_PER_MIB; i++) {
      ByteBuffer c = directCiphers[i];
      int length = c.remaining();
      c.get(c.position(), heapCipher, 0, length);
      gcm.init(Cipher.DECRYPT_MODE, keys[i], new GCMParameterSpec(TAG_BITS, nonce));
      n += gcm.doFinal(heapCipher, 0, length, out, 0);
    }
    return n;
  }
}
