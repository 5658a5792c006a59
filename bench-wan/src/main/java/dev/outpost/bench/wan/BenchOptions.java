package dev.outpost.bench.wan;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.file.Path;

/**
 * What one benchmark run does.
 *
 * @param link the emulated WAN link of the main run
 * @param secondDelayMillis the other one-way delay the link-efficiency scenario (7) repeats the cold read at
 * @param scale dataset scale (1 = the issue's ~186 MiB tree and 50 MiB of text)
 * @param seed dataset seed
 * @param workDir where the dataset, the origin's data, the proxy's cache and the logs go
 * @param fuse run scenario 1a through a FUSE mount (skipped with a reason when FUSE is missing)
 * @param direct no proxy: branch clients cross the link to the origin themselves
 * @param uploadThreads files uploaded at once in scenario 6 (like {@code outpost import -j})
 * @param jitWarmupRounds times each freshly started proxy JVM reads the warm-up set before a measurement (0: none)
 */
public record BenchOptions(LinkSpec link, long secondDelayMillis, double scale, long seed, Path workDir,
    boolean fuse, boolean direct, int uploadThreads, int jitWarmupRounds) {

  /** @throws OutpostException INVALID_ARGUMENT naming the bad value */
  public BenchOptions {
    new LinkSpec(link.bitsPerSecond(), secondDelayMillis);
    if (!(scale >= 0.0001 && scale <= 100)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "scale " + scale + " is outside 0.0001..100");
    }
    if (uploadThreads < 1 || uploadThreads > 64) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "upload threads " + uploadThreads + " is outside 1..64");
    }
    if (jitWarmupRounds < 0 || jitWarmupRounds > 1000) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "JIT warm-up rounds " + jitWarmupRounds
          + " is outside 0..1000");
    }
    if (workDir == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "work directory missing");
    }
  }
}
