package dev.outpost.proxy.warm;

import java.util.List;

/**
 * A job as the admin API shows it (and as it is persisted): the JSON field names are a contract with the
 * dashboard and proxyctl. Byte and block counts refer to the current run; after a restart the blocks fetched
 * before it count as present.
 *
 * @param snapshot the snapshot asked for, resolved to a name once known ("" = live volume)
 * @param blocksTotal blocks listed so far (final once listing is done)
 * @param dirsListed directories of the live volume under the paths whose listing (with each entry's attributes)
 *     the job has put in the attribute cache (or found there), after the blocks
 * @param rateBytesPerSecNow fetch rate over the last few seconds
 * @param etaSeconds estimated seconds left, -1 while unknown (still listing, or nothing fetched yet)
 * @param startedAtMillis when the job first started running, 0 if not yet
 * @param finishedAtMillis when it ended, 0 if not yet
 * @param error why it failed, "" otherwise
 */
public record JobView(String id, String kind, JobState state, String snapshot, List<String> paths, boolean pin,
    long rateBytesPerSec, long blocksTotal, long blocksPresent, long blocksFetched, long blocksFailed,
    long bytesTotal, long bytesPresent, long bytesFetched, long dirsListed, long rateBytesPerSecNow, long etaSeconds,
    long startedAtMillis, long finishedAtMillis, String error) {
  public static final String KIND_WARM = "warm";
}
