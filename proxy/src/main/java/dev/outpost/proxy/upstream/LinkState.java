package dev.outpost.proxy.upstream;

import java.util.Locale;

/** How well the proxy reaches the origin (ADR 0004, "Link health"); kept by {@link LinkHealth}. */
public enum LinkState {
  /** Connected, heartbeats answered: requests flow. */
  CONNECTED,
  /**
   * Either connected but a heartbeat reply is overdue, or down for less than {@code disconnected.graceMillis}
   * while reconnecting. Requests wait for the link, bounded by {@code requestTimeoutMillis}.
   */
  DEGRADED,
  /** Down for longer than the grace, or never connected since the proxy started. */
  DISCONNECTED,
  /** Connected, and the write-back log is not empty: its operations are being replayed to the origin. */
  REPLAYING;

  /** The name in metric labels and the dashboard's classes: {@code connected}, ... */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
