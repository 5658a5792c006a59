package dev.outpost.bench.jmh;

import static dev.outpost.bench.jmh.Payloads.CHUNKS_PER_MIB;
import static dev.outpost.bench.jmh.Payloads.CHUNK_BYTES;
import static dev.outpost.bench.jmh.Payloads.MIB;

import dev.outpost.core.BlockId;
import dev.outpost.store.BlockStore;
import dev.outpost.store.BlockWrite;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.StorageConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Reads of 64 KiB blocks from a warm LMDB block store (written at setup into a temporary directory, so every
 * page is in the page cache and mapped), by random id. One invocation reads 16 blocks, one MiB: score MiB/s.
 *
 * <p>{@code getCopy}: {@link BlockStore#get} copying into a pooled direct ByteBuf, released right after (the
 * proxy's serving path); target ≥ 2 GB/s. {@code withBlock}: the zero-copy lend, whose reader only looks at
 * the length and the first and last byte, so it measures the transaction and lookup cost per block.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LmdbReadBenchmark {
  /** Random read order, long enough that the sequence does not line up with anything. */
  private static final int ORDER_LENGTH = 1 << 16;
  private static final int WRITE_BATCH = 64;

  /** Blocks written at setup: 4096 × 64 KiB = 256 MiB. */
  @Param("4096")
  public int blockCount;

  private Path directory;
  private LmdbStorage storage;
  private BlockStore store;
  private BlockId[] ids;
  private int[] order;
  private int next;
  private int touched;
  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

  @Setup
  public void setup() throws IOException {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Files.createDirectories(tmp);
    directory = Files.createTempDirectory(tmp, "outpost-jmh-lmdb-");
    // LMDB keeps a 64 KiB value in 17 overflow pages; leave room for branch pages and the stats table.
    long mapBytes = (long) blockCount * (CHUNK_BYTES + 8192) + 16L * MIB;
    storage = LmdbStorage.open(directory, new StorageConfig(mapBytes, 4 * mapBytes, 8, false));
    store = storage.blockStore("blocks");
    SplittableRandom random = new SplittableRandom(7);
    ids = new BlockId[blockCount];
    byte[] value = new byte[CHUNK_BYTES];
    byte[] idBytes = new byte[BlockId.BYTES];
    List<BlockWrite> batch = new ArrayList<>(WRITE_BATCH);
    for (int i = 0; i < blockCount; i++) {
      random.nextBytes(idBytes);
      ids[i] = BlockId.of(idBytes);
      random.nextBytes(value);
      batch.add(new BlockWrite(ids[i], ByteBuffer.wrap(value.clone())));
      if (batch.size() == WRITE_BATCH || i == blockCount - 1) {
        store.putAll(batch);
        batch.clear();
      }
    }
    order = new int[ORDER_LENGTH];
    for (int i = 0; i < ORDER_LENGTH; i++) {
      order[i] = random.nextInt(blockCount);
    }
    // Warm: touch every block once through the read path.
    for (BlockId id : ids) {
      store.withBlock(id, ByteBuffer::remaining);
    }
  }

  @TearDown
  public void tearDown() {
    storage.close();
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + directory, e);
    }
  }

  /** @return the bytes copied out */
  @Benchmark
  public long getCopy() {
    long bytes = 0;
    for (int i = 0; i < CHUNKS_PER_MIB; i++) {
      ByteBuf copy = store.get(nextId(), alloc).orElseThrow();
      try {
        bytes += copy.readableBytes();
      } finally {
        copy.release();
      }
    }
    return bytes;
  }

  /** @return the bytes lent */
  @Benchmark
  public long withBlock() {
    long bytes = 0;
    for (int i = 0; i < CHUNKS_PER_MIB; i++) {
      bytes += store.withBlock(nextId(), this::touch).orElseThrow();
    }
    return bytes;
  }

  /** Reads the first and last byte, so the lent buffer is really used, and returns its length. */
  private int touch(ByteBuffer block) {
    touched ^= block.get(block.position()) ^ block.get(block.limit() - 1);
    return block.remaining();
  }

  private BlockId nextId() {
    BlockId id = ids[order[next]];
    next = (next + 1) & (ORDER_LENGTH - 1);
    return id;
  }

  BlockStore store() {
    return store;
  }

  Path directory() {
    return directory;
  }
}
