package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * The application heartbeat of a client connection: a PING when nothing was written for {@code intervalMillis},
 * and the connection closed as lost when nothing was read for {@code timeoutMillis}. Anything read counts, not
 * only the PONG, so a connection busy streaming is never taken for dead. A server that vanishes without a FIN
 * (power loss, a cut WAN, a NAT that forgot the flow) is so noticed within about the timeout instead of when
 * TCP gives up, minutes later. The PINGs are also traffic, so an idle-connection policy at the server does not
 * close a connection merely because its user is quiet.
 *
 * <p>The timeout must be at least twice the interval: an idle connection reads only PONGs, one per interval
 * plus a round trip, and must not be taken for dead between two of them.
 *
 * @param intervalMillis write silence before a PING; {@value #MIN_INTERVAL_MILLIS}..{@value #MAX_INTERVAL_MILLIS}
 * @param timeoutMillis read silence before the connection is closed as lost; 2 × intervalMillis..{@value
 *     #MAX_TIMEOUT_MILLIS}
 */
public record Heartbeat(long intervalMillis, long timeoutMillis) {
  public static final long MIN_INTERVAL_MILLIS = 50;
  public static final long MAX_INTERVAL_MILLIS = 600_000;
  public static final long MAX_TIMEOUT_MILLIS = 3_600_000;
  /** A PING after 2 s of silence; lost after 6 s without a byte from the server. */
  public static final Heartbeat DEFAULT = new Heartbeat(2_000, 6_000);

  public Heartbeat {
    if (intervalMillis < MIN_INTERVAL_MILLIS || intervalMillis > MAX_INTERVAL_MILLIS) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "heartbeat interval " + intervalMillis
          + " ms is outside " + MIN_INTERVAL_MILLIS + ".." + MAX_INTERVAL_MILLIS);
    }
    if (timeoutMillis < minTimeoutMillis(intervalMillis) || timeoutMillis > MAX_TIMEOUT_MILLIS) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "heartbeat timeout " + timeoutMillis
          + " ms is outside " + minTimeoutMillis(intervalMillis) + ".." + MAX_TIMEOUT_MILLIS
          + " (at least twice the interval)");
    }
  }

  /** The shortest timeout allowed with {@code intervalMillis}. */
  public static long minTimeoutMillis(long intervalMillis) {
    return 2 * intervalMillis;
  }
}
