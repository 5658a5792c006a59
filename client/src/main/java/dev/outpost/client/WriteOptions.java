package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.OptionalLong;

/**
 * How a write commits.
 *
 * @param mode permission bits of a new file (an existing file keeps its mode), 0..07777
 * @param mtimeMillis the modification time to record; empty = now
 * @param baseVersion the version the write must replace (0 = the file must not exist); empty = whatever
 *     version the file has when the write opens (close-to-open)
 * @param leaseToken the fencing token of the lease the commit is made under ({@link Lease#token()}); 0 = none:
 *     the commit is refused LEASE_CONFLICT while another party holds an exclusive lease on the path, and one
 *     with a token that is no longer current is refused FENCED
 */
public record WriteOptions(int mode, OptionalLong mtimeMillis, OptionalLong baseVersion, long leaseToken) {
  public static final int DEFAULT_FILE_MODE = 0644;
  public static final WriteOptions DEFAULTS = new WriteOptions(DEFAULT_FILE_MODE, OptionalLong.empty(), OptionalLong.empty());

  public WriteOptions {
    if (mode < 0 || mode > 07777) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "mode " + Integer.toOctalString(mode) + " outside 0..07777");
    }
    if (baseVersion.isPresent() && baseVersion.getAsLong() < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "base version must not be negative");
    }
    if (leaseToken < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "lease token must not be negative");
    }
  }

  /** Without a lease. */
  public WriteOptions(int mode, OptionalLong mtimeMillis, OptionalLong baseVersion) {
    this(mode, mtimeMillis, baseVersion, 0);
  }

  public WriteOptions withMode(int newMode) {
    return new WriteOptions(newMode, mtimeMillis, baseVersion, leaseToken);
  }

  public WriteOptions withMtimeMillis(long millis) {
    return new WriteOptions(mode, OptionalLong.of(millis), baseVersion, leaseToken);
  }

  public WriteOptions withBaseVersion(long version) {
    return new WriteOptions(mode, mtimeMillis, OptionalLong.of(version), leaseToken);
  }

  /** Commits under {@code lease}: accepted only while it is the current lease on the path. */
  public WriteOptions withLease(Lease lease) {
    return withLeaseToken(lease.token());
  }

  public WriteOptions withLeaseToken(long token) {
    return new WriteOptions(mode, mtimeMillis, baseVersion, token);
  }
}
