package dev.outpost.core;

/**
 * The one unchecked exception of Outpost. Its {@link ErrorCode} travels on the wire unchanged, so a
 * failure at the origin reaches the client as the same code. Foreign exceptions are translated to this
 * type at one choke point per component.
 */
public class OutpostException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;

  public OutpostException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public OutpostException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  /** One line for a user: the code and the message. */
  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
