package dev.outpost.protocol;

import java.util.List;

/**
 * A request that changes the volume. Every mutation carries an {@link OperationId} (so a resend after a lost
 * answer is applied at most once) and a lease token (so a writer whose lease was taken over is fenced), and
 * its wire body ends with {@code i64 leaseToken} (Commit: where it always was) then {@code u64 originator,
 * u64 seq}.
 */
public sealed interface Mutation extends Request
    permits Create, Mkdir, Symlink, Unlink, Rmdir, Rename, SetAttr, Commit {

  /** The operation's id; {@link OperationId#NONE} = not deduplicated. */
  OperationId op();

  /**
   * The fencing token of the lease the sender writes under; 0 = none. A non-zero token must be the current
   * token of a live lease covering every one of {@link #paths()}, else the origin refuses FENCED.
   */
  long leaseToken();

  /** The paths this mutation changes, which leases are checked against (both ends of a rename). */
  List<String> paths();

  /** The same mutation under another operation id (a replayer renumbers what it sends). */
  Mutation withOp(OperationId op);
}
