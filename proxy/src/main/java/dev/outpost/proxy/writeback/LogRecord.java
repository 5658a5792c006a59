package dev.outpost.proxy.writeback;

import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.OperationId;
import java.util.List;

/**
 * One logged mutation, as it will be replayed to the origin.
 *
 * @param seq the log's sequence, from 1, only growing: replay order
 * @param mutation what is sent at replay: the client's request with the inode this proxy gave a new entry (from
 *     its reserved ranges) and, as its operation id, the client's own id when it sent one (so a request the
 *     client also sent straight to the origin is applied once), else (this proxy's originator, {@code seq})
 * @param clientOp the client's operation id as it arrived; {@link OperationId#NONE} if it sent none
 * @param subject who wrote it (the token's subject)
 * @param token the client's access token, ATTACHed upstream at replay so the origin authorises the client
 * @param base what the branch knew of the mutation's first path at headquarters when it was logged
 * @param loggedAtMillis when it was logged
 */
public record LogRecord(long seq, Mutation mutation, OperationId clientOp, String subject, String token, Base base,
    long loggedAtMillis) {
  public LogRecord {
    if (seq < 1) {
      throw new IllegalArgumentException("log sequence must be at least 1, got " + seq);
    }
  }

  /** The paths the mutation changes (both ends of a rename). */
  public List<String> paths() {
    return mutation.paths();
  }

  /** The path a conflict is filed under: the mutation's target (a rename's destination). */
  public String path() {
    List<String> p = paths();
    return p.get(p.size() - 1);
  }
}
