package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;

/**
 * A request failed because its connection closed before the answer came (UNAVAILABLE): the server did not
 * refuse it. {@link #sent()} says whether it may have reached the server, and so may have been applied.
 */
public final class ConnectionLostException extends OutpostException {
  private static final long serialVersionUID = 1L;
  private final boolean sent;

  public ConnectionLostException(String message, boolean sent) {
    super(ErrorCode.UNAVAILABLE, message);
    this.sent = sent;
  }

  /**
   * False only when the connection was already closed when the request was to be written: nothing left, so it
   * is safe to send it again whatever it does. True when it may have been written (the answer was lost).
   */
  public boolean sent() {
    return sent;
  }
}
