package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A store on a real full filesystem (an 8 MiB tmpfs, {@link SmallFilesystem}). The disk fills in two ways, and LMDB
 * reports them differently: a write that finds no room at all fails with ENOSPC, one that fills the disk midway is a
 * short write, which LMDB reports as EIO ("short write, filesystem full?" in mdb.c). Either way the caller must see
 * NO_SPACE naming the cause, never INTERNAL/EIO, and no server path (messages reach clients over the wire).
 */
class DiskFullTest extends StoreTestBase {
  private static final long FILESYSTEM_BYTES = 8 * MIB;

  @Test
  void aWriteThatFillsTheDiskMidwayFailsNoSpaceNotEio() {
    // 32 blocks of 64 KiB per transaction: the transaction that meets the end of the disk is written partly.
    OutpostException e = fillUntilFull("short", 64 * 1024, 32, false);
    assertThat(e.code()).as("%s", e).isEqualTo(ErrorCode.NO_SPACE);
    assertThat(e.getMessage()).contains("disk is full").doesNotContain("EIO");
  }

  @Test
  void aWriteThatFindsNoRoomFailsNoSpace() {
    // One small block per durable transaction: the failing write gets nothing written (ENOSPC itself).
    OutpostException e = fillUntilFull("none", 4000, 1, true);
    assertThat(e.code()).as("%s", e).isEqualTo(ErrorCode.NO_SPACE);
    assertThat(e.getMessage()).contains("disk is full");
  }

  /**
   * Writes blocks until a write fails, checks that everything written before reads back and that the message names
   * no path of this machine; returns the failure.
   */
  private OutpostException fillUntilFull(String name, int blockBytes, int perTransaction, boolean durable) {
    try (SmallFilesystem fs = SmallFilesystem.mountOrSkip(dir.resolve(name), FILESYSTEM_BYTES)) {
      LmdbStorage storage = LmdbStorage.open(fs.dir().resolve("store"), config(MIB, 1024 * MIB, durable));
      try {
        BlockStore blocks = storage.blockStore("blocks");
        List<BlockWrite> stored = new ArrayList<>();
        int seed = 0;
        // Twice the filesystem's size is written at most: a store that never fails is a failure of this test.
        while ((long) seed * blockBytes < 2 * FILESYSTEM_BYTES) {
          List<BlockWrite> batch = new ArrayList<>();
          for (int i = 0; i < perTransaction; i++) {
            batch.add(blockWrite(seed++, blockBytes));
          }
          try {
            blocks.putAll(batch);
            stored.addAll(batch);
          } catch (OutpostException failure) {
            assertThat(failure.getMessage()).as("the message reaches clients")
                .doesNotContain(fs.dir().toString()).doesNotContain(dir.toString());
            assertThat(stored).as("blocks stored before the disk filled").isNotEmpty();
            assertThat(blocks.count()).isEqualTo(stored.size());
            for (BlockWrite w : stored) {
              assertThat(blocks.withBlock(w.id(), b -> b.equals(w.cipher()))).as("block %s", w.id()).contains(true);
            }
            return failure;
          }
        }
        throw new AssertionError("wrote " + seed + " blocks of " + blockBytes + " bytes to an " + FILESYSTEM_BYTES
            + "-byte filesystem without a failure");
      } finally {
        storage.close();
      }
    }
  }
}
