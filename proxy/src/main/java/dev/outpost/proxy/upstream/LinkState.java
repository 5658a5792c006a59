package dev.outpost.proxy.upstream;

/** State of the proxy's connection to the origin. */
public enum LinkState {
  /** Not connected; a reconnect is scheduled (or the link is closed). */
  DOWN,
  /** A connection attempt is under way. */
  CONNECTING,
  /** Connected and welcomed: requests flow. */
  UP
}
