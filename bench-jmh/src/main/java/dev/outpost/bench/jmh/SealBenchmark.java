package dev.outpost.bench.jmh;

import static dev.outpost.bench.jmh.Payloads.CHUNKS_PER_MIB;
import static dev.outpost.bench.jmh.Payloads.CHUNK_BYTES;

import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.BlockSealer;
import dev.outpost.crypto.ChildRef;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * Convergent sealing of 64 KiB chunks (SHA-256, HMAC key, zstd attempt, AES-256-GCM, SHA-256 of the block).
 * One invocation seals 16 distinct chunks, one MiB: score MiB/s. Target: ≥ 500 MB/s for incompressible chunks.
 *
 * <p>{@code incompressible} and {@code compressible} use {@link BlockSealer#seal(byte[])}, the client's write
 * path; {@code incompressibleInto} uses {@link BlockSealer#sealInto} between heap buffers. Chunks are distinct
 * and cycled so the Cipher never sees the same key twice in a row (a same-key re-seal takes a slower
 * re-init path that real writes rarely hit).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SealBenchmark {
  private BlockSealer sealer;
  private byte[][] random;
  private byte[][] text;
  private ByteBuffer cipherOut;

  @Setup
  public void setup() {
    VolumeKey key = Payloads.volumeKey();
    sealer = new BlockSealer(key);
    key.destroy();
    random = new byte[CHUNKS_PER_MIB][];
    text = new byte[CHUNKS_PER_MIB][];
    for (int i = 0; i < CHUNKS_PER_MIB; i++) {
      random[i] = Payloads.random(CHUNK_BYTES, 100 + i);
      text[i] = Payloads.text(CHUNK_BYTES, 200 + i);
    }
    cipherOut = ByteBuffer.allocate(CHUNK_BYTES + 1 + BlockFormat.TAG_BYTES);
  }

  @TearDown
  public void tearDown() {
    sealer.destroy();
  }

  /** @return the ciphertext bytes written */
  @Benchmark
  public long incompressible() {
    return sealAll(random);
  }

  /** @return the ciphertext bytes written (about a third of the input: the zstd path) */
  @Benchmark
  public long compressible() {
    return sealAll(text);
  }

  /** @return the ciphertext bytes written */
  @Benchmark
  public long incompressibleInto() {
    long cipherBytes = 0;
    for (byte[] chunk : random) {
      cipherOut.clear();
      ChildRef ref = sealer.sealInto(ByteBuffer.wrap(chunk), cipherOut);
      cipherBytes += ref.cipherLength();
    }
    return cipherBytes;
  }

  private long sealAll(byte[][] chunks) {
    long cipherBytes = 0;
    for (byte[] chunk : chunks) {
      SealedBlock block = sealer.seal(chunk);
      cipherBytes += block.cipherLength();
    }
    return cipherBytes;
  }
}
