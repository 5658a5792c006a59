package dev.outpost.origin.embedded;

import dev.outpost.core.BlockId;
import dev.outpost.core.BlockRef;
import dev.outpost.core.RootRef;
import dev.outpost.crypto.IndexBlock;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.store.BlockStore;
import dev.outpost.store.LmdbStorage;
import dev.outpost.store.StorageConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The block store of a stopped origin, opened offline with real LMDB writes, to damage what the origin will
 * serve once started again: a flipped byte (the GCM tag no longer verifies), a truncated block, a missing block,
 * another block's bytes under this id. Shared with the client, CLI and FUSE tests of what readers do with a
 * corrupt origin. Not thread-safe; close it before the origin starts again.
 */
public final class StoredBlocks implements AutoCloseable {
  /** A file version's blocks, in file order: its data blocks, and its index blocks root first. */
  public record Tree(List<BlockId> data, List<BlockId> index) {}

  private final LmdbStorage storage;
  private final BlockStore blocks;

  private StoredBlocks(LmdbStorage storage) {
    this.storage = storage;
    this.blocks = storage.blockStore("blocks");
  }

  /** Opens the block store of the origin data directory {@code dataDir} (the origin must be stopped). */
  public static StoredBlocks open(Path dataDir) {
    return new StoredBlocks(LmdbStorage.open(new OriginDataDir(dataDir).volume(),
        new StorageConfig(64L << 20, 64L << 30, 16, true)));
  }

  /** The blocks of the version {@code root} names, read through the index blocks' public parts. */
  public Tree tree(RootRef root) {
    List<BlockId> data = new ArrayList<>();
    List<BlockId> index = new ArrayList<>();
    walk(root.block(), root.depth(), data, index);
    return new Tree(List.copyOf(data), List.copyOf(index));
  }

  private void walk(BlockId id, int level, List<BlockId> data, List<BlockId> index) {
    if (level == 0) {
      data.add(id);
      return;
    }
    index.add(id);
    for (BlockRef child : IndexBlock.readPublic(bytes(id))) {
      walk(child.id(), level - 1, data, index);
    }
  }

  /** The stored ciphertext of {@code id}. */
  public byte[] bytes(BlockId id) {
    return blocks.withBlock(id, b -> {
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    }).orElseThrow(() -> new IllegalArgumentException("no block " + id));
  }

  /** Inverts every bit of the byte at {@code offset} (negative: from the end) of the stored block. */
  public void flipByte(BlockId id, int offset) {
    byte[] b = bytes(id);
    int at = offset < 0 ? b.length + offset : offset;
    b[at] ^= (byte) 0xff;
    replace(id, b);
  }

  /** Keeps only the first {@code length} bytes of the stored block. */
  public void truncate(BlockId id, int length) {
    byte[] b = bytes(id);
    replace(id, java.util.Arrays.copyOf(b, Math.min(length, b.length)));
  }

  /** Removes the block, as if it had been lost or collected. */
  public void delete(BlockId id) {
    if (!blocks.delete(id)) {
      throw new IllegalArgumentException("no block " + id);
    }
  }

  /** Stores {@code other}'s ciphertext under {@code id} (an id the bytes do not hash to). */
  public void replaceWith(BlockId id, BlockId other) {
    replace(id, bytes(other));
  }

  private void replace(BlockId id, byte[] cipher) {
    storage.write(txn -> {
      blocks.delete(txn, id);
      return blocks.put(txn, id, ByteBuffer.wrap(cipher));
    });
  }

  @Override
  public void close() {
    storage.close();
  }
}
