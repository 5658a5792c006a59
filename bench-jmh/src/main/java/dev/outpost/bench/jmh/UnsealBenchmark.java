package dev.outpost.bench.jmh;

import static dev.outpost.bench.jmh.Payloads.CHUNKS_PER_MIB;
import static dev.outpost.bench.jmh.Payloads.CHUNK_BYTES;

import dev.outpost.crypto.BlockOpener;
import dev.outpost.crypto.BlockSealer;
import dev.outpost.crypto.SealedBlock;
import dev.outpost.crypto.VolumeKey;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Opening 64 KiB sealed chunks (AES-256-GCM verify and decrypt, zstd for compressible ones). One invocation
 * opens 16 blocks, one MiB of plaintext: score MiB/s. Target: ≥ 1.2 GB/s for incompressible (raw) blocks.
 *
 * <p>{@code incompressible} and {@code compressible} follow the client's read path: the ciphertext in a direct
 * buffer (as it arrives from the network) opened with {@link BlockOpener#openInto} into a heap array.
 * {@code incompressibleArray} uses the all-array {@link BlockOpener#open(byte[], byte[], int)}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class UnsealBenchmark {
  private SealedBlock[] random;
  private SealedBlock[] text;
  private ByteBuffer[] randomDirect;
  private ByteBuffer[] textDirect;
  private byte[] plainOut;

  @Setup
  public void setup() {
    VolumeKey key = Payloads.volumeKey();
    BlockSealer sealer = new BlockSealer(key);
    key.destroy();
    random = new SealedBlock[CHUNKS_PER_MIB];
    text = new SealedBlock[CHUNKS_PER_MIB];
    randomDirect = new ByteBuffer[CHUNKS_PER_MIB];
    textDirect = new ByteBuffer[CHUNKS_PER_MIB];
    for (int i = 0; i < CHUNKS_PER_MIB; i++) {
      random[i] = sealer.seal(Payloads.random(CHUNK_BYTES, 300 + i));
      text[i] = sealer.seal(Payloads.text(CHUNK_BYTES, 400 + i));
      randomDirect[i] = direct(random[i].cipher());
      textDirect[i] = direct(text[i].cipher());
    }
    sealer.destroy();
    plainOut = new byte[CHUNK_BYTES];
  }

  private static ByteBuffer direct(byte[] bytes) {
    return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
  }

  /** @return the plaintext bytes opened */
  @Benchmark
  public long incompressible() {
    return openAll(random, randomDirect);
  }

  /** @return the plaintext bytes opened */
  @Benchmark
  public long compressible() {
    return openAll(text, textDirect);
  }

  /** @return the plaintext bytes opened */
  @Benchmark
  public long incompressibleArray() {
    long plainBytes = 0;
    for (SealedBlock b : random) {
      plainBytes += BlockOpener.open(b.key(), b.cipher(), b.plainLength()).length;
    }
    return plainBytes;
  }

  private long openAll(SealedBlock[] blocks, ByteBuffer[] ciphers) {
    long plainBytes = 0;
    for (int i = 0; i < blocks.length; i++) {
      ByteBuffer out = ByteBuffer.wrap(plainOut);
      BlockOpener.openInto(blocks[i].key(), ciphers[i].duplicate(), out, blocks[i].plainLength());
      plainBytes += out.position();
    }
    return plainBytes;
  }

  /** The plaintext of the last block opened by {@link #incompressible} or {@link #compressible}. */
  byte[] lastPlain() {
    return plainOut;
  }
}
