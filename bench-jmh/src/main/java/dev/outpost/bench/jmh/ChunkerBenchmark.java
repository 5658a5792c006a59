package dev.outpost.bench.jmh;

import static dev.outpost.bench.jmh.Payloads.MIB;

import dev.outpost.crypto.Chunker;
import dev.outpost.crypto.VolumeKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * FastCDC chunking of a 64 MiB random input: from a byte array, from a direct ByteBuffer and from an
 * InputStream (the client's write path reads files as streams). Score: MiB/s. Target: ≥ 700 MB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ChunkerBenchmark {
  static final int INPUT_BYTES = 64 * MIB;

  private Chunker chunker;
  private byte[] input;
  private ByteBuffer directInput;

  @Setup
  public void setup() {
    VolumeKey key = Payloads.volumeKey();
    chunker = new Chunker(key.gearTable());
    key.destroy();
    input = Payloads.random(INPUT_BYTES, 1);
    directInput = ByteBuffer.allocateDirect(INPUT_BYTES).put(input).flip();
  }

  @Benchmark
  @OperationsPerInvocation(INPUT_BYTES / MIB)
  public ChunkTally byteArray() {
    ChunkTally tally = new ChunkTally();
    chunker.split(input, 0, input.length, tally);
    return tally;
  }

  @Benchmark
  @OperationsPerInvocation(INPUT_BYTES / MIB)
  public ChunkTally directBuffer() {
    ChunkTally tally = new ChunkTally();
    chunker.split(directInput, slice -> tally.add(slice.remaining()));
    return tally;
  }

  @Benchmark
  @OperationsPerInvocation(INPUT_BYTES / MIB)
  public ChunkTally inputStream() throws IOException {
    ChunkTally tally = new ChunkTally();
    chunker.split(new ByteArrayInputStream(input), tally);
    return tally;
  }
}
