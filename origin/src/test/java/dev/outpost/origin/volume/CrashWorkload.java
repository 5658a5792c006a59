package dev.outpost.origin.volume;

import dev.outpost.core.BlockId;
import dev.outpost.core.RootRef;
import dev.outpost.crypto.BlockIds;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * Child-process body of {@link CrashRecoveryTest}: mutates the volume in {@code args[0]} forever, printing
 * "ok N" after mutation N returned (so it is durable), until the parent kills it with SIGKILL.
 */
public final class CrashWorkload {
  private CrashWorkload() {}

  public static void main(String[] args) {
    try (LmdbVolume v = LmdbVolume.open(Path.of(args[0]), VolumeTestBase.CONFIG, Clock.systemUTC(), 1_000)) {
      for (int i = 0; ; i++) {
        String dir = "/d" + i;
        v.mkdir(dir, 0755, i);
        // A synthetic one-chunk file: a data block (type byte 0x01) named by its SHA-256.
        byte[] cipher = ("\u0001 block number " + i + " padded to a plausible length").getBytes(StandardCharsets.UTF_8);
        BlockId id = BlockIds.of(cipher);
        v.putBlock(id, ByteBuffer.wrap(cipher));
        v.commit(dir + "/f", 0, 0, Optional.of(new RootRef(id, 0, cipher.length, new byte[] {1})), 10, i, i);
        v.rename(dir + "/f", dir + "/g", i);
        System.out.println("ok " + i);
        System.out.flush();
      }
    }
  }
}
