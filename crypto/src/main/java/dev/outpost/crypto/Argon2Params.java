package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * Argon2id cost parameters for {@link VolumeKey#fromPassphrase}. Every client of a volume must use the same
 * values, so they belong with the volume's configuration.
 *
 * @param memoryKib memory in KiB (8 × parallelism .. 4 GiB)
 * @param iterations passes over memory (1..64)
 * @param parallelism lanes (1..16)
 */
public record Argon2Params(int memoryKib, int iterations, int parallelism) {
  /** m = 64 MiB, t = 3, p = 1. */
  public static final Argon2Params DEFAULT = new Argon2Params(64 * 1024, 3, 1);

  public Argon2Params {
    if (parallelism < 1 || parallelism > 16) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "argon2 parallelism " + parallelism + " outside 1..16");
    }
    if (iterations < 1 || iterations > 64) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "argon2 iterations " + iterations + " outside 1..64");
    }
    if (memoryKib < 8 * parallelism || memoryKib > 4 * 1024 * 1024) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "argon2 memory " + memoryKib + " KiB outside " + 8 * parallelism + ".." + 4 * 1024 * 1024);
    }
  }
}
