package dev.outpost.proxy.warm;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.SnapshotInfo;
import java.util.List;

/**
 * What a warm job is asked to do: fetch every block of the files under {@code paths} of {@code snapshot} that the
 * cache lacks.
 *
 * @param snapshot {@value #LATEST} (the newest snapshot, resolved when the job is submitted or started), a
 *     snapshot name, or "" for the live volume
 * @param paths volume path prefixes, at least one ("/" for everything), at most {@value #MAX_PATHS}
 * @param pin pin the blocks (never evicted) as well as fetching them
 * @param rateBytesPerSec cap on the bytes fetched per second; 0 = as fast as the link allows
 */
public record WarmSpec(String snapshot, List<String> paths, boolean pin, long rateBytesPerSec) {
  public static final String LATEST = "latest";
  public static final int MAX_PATHS = 1024;
  /** 1 KiB/s: slower than that a job would take days per GiB; a typo (a missing unit) is likelier. */
  public static final long MIN_RATE_BYTES_PER_SEC = 1024;

  /** @throws OutpostException INVALID_ARGUMENT / INVALID_PATH naming the bad value */
  public WarmSpec {
    if (snapshot == null) {
      snapshot = LATEST;
    }
    if (!snapshot.equals(LATEST)) {
      SnapshotInfo.checkName(snapshot);
    }
    if (paths == null || paths.isEmpty()) {
      paths = List.of(VolumePath.ROOT);
    }
    if (paths.size() > MAX_PATHS) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "at most " + MAX_PATHS + " paths per warm job, got "
          + paths.size());
    }
    for (String p : paths) {
      VolumePath.check(p);
    }
    paths = List.copyOf(paths);
    if (rateBytesPerSec < 0 || (rateBytesPerSec > 0 && rateBytesPerSec < MIN_RATE_BYTES_PER_SEC)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "rateBytesPerSec must be 0 (unlimited) or at least "
          + MIN_RATE_BYTES_PER_SEC + ", got " + rateBytesPerSec);
    }
  }

  /** The same job against a resolved snapshot name. */
  WarmSpec withSnapshot(String resolved) {
    return new WarmSpec(resolved, paths, pin, rateBytesPerSec);
  }
}
