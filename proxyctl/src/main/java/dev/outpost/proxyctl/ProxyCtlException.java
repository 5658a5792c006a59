package dev.outpost.proxyctl;

/** A failure shown to the user as one line ("proxyctl: " + message); exit code 1. */
public final class ProxyCtlException extends RuntimeException {
  public ProxyCtlException(String message) {
    super(message, null, false, false);
  }
}
