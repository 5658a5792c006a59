package dev.outpost.transport;

import java.util.function.ToLongFunction;

/**
 * What one {@link RpcServer} lets its peers hold, origin and proxy alike (the {@code limits} section of their
 * configs): so that neither one hostile or slow peer nor many of them together cost the server unbounded memory,
 * and none makes the others wait.
 *
 * <p>A request is <em>in flight</em> from the moment it is read until its call starts answering (the first reply
 * frame is handed to the connection); PING, ATTACH and HELLO count like any other. A call that streams (GET_BLOCKS,
 * LIST_BLOCKS, SUBSCRIBE) is then an open stream until its last frame: streams pause by themselves while the
 * connection is not writable. A connection stops reading (Netty's auto-read off) while it has
 * {@code maxInFlightPerConnection} requests in flight, {@link #MAX_STREAMS_PER_CONNECTION} open streams, or more than
 * {@code maxQueuedReplyBytesPerConnection} of replies its peer has not read; every connection stops reading while
 * the server has {@code maxInFlight} requests in flight. Reading resumes as soon as the cause is gone. Warning: a
 * connection that does not read does not read its client's heartbeat PINGs either, so requests held unanswered for
 * longer than the client's heartbeat timeout make the client take the connection for lost.
 *
 * @param maxConnections connections open at once; one more is closed as soon as it is accepted
 * @param maxInFlightPerConnection requests in flight on one connection before it stops reading
 * @param maxInFlight requests in flight on all connections together before every connection stops reading (a
 *     connection's HELLO is read even then, so a client can always connect and then waits like the others)
 * @param maxQueuedReplyBytesPerConnection reply bytes queued for a peer before its connection stops reading (and
 *     streams pause); the write buffer's high-water mark, the low one is half of it
 * @param handshakeTimeoutMillis time from accepting a connection until TLS and HELLO/WELCOME are done; a
 *     connection not done by then is closed, however slowly it is still sending
 * @param idleTimeoutSeconds a connection is closed when it has read nothing for this long while it has no request
 *     in flight and no open stream (a client's {@link Heartbeat}, a watch or the proxy's change subscription
 *     keeps it), or when its peer has not taken a byte of its queued replies for this long; 0 = never
 */
public record ServerLimits(int maxConnections, int maxInFlightPerConnection, int maxInFlight,
    int maxQueuedReplyBytesPerConnection, long handshakeTimeoutMillis, long idleTimeoutSeconds) {
  /** Open streams per connection before it stops reading; as many as it may have sessions. */
  public static final int MAX_STREAMS_PER_CONNECTION = ServerConnectionHandler.MAX_SESSIONS;

  /**
   * The config keys of the {@code limits} section with their defaults and allowed ranges: the one place both
   * servers' loaders read them from.
   */
  public enum Key {
    MAX_CONNECTIONS("maxConnections", 1024, 1, 1_000_000, false),
    MAX_IN_FLIGHT_PER_CONNECTION("maxInFlightPerConnection", 256, 1, 1_000_000, false),
    MAX_IN_FLIGHT("maxInFlight", 4096, 1, 10_000_000, false),
    MAX_QUEUED_REPLY_BYTES_PER_CONNECTION("maxQueuedReplyBytesPerConnection", 4L << 20, 64L << 10, 1L << 30, true),
    HANDSHAKE_TIMEOUT_MILLIS("handshakeTimeoutMillis", 10_000, 100, 600_000, false),
    IDLE_TIMEOUT_SECONDS("idleTimeoutSeconds", 1800, 0, 30L * 86400, false);

    private final String configName;
    private final long defaultValue;
    private final long min;
    private final long max;
    private final boolean bytes;

    Key(String configName, long defaultValue, long min, long max, boolean bytes) {
      this.configName = configName;
      this.defaultValue = defaultValue;
      this.min = min;
      this.max = max;
      this.bytes = bytes;
    }

    /** The key's name inside the {@code limits} section. */
    public String configName() {
      return configName;
    }

    public long defaultValue() {
      return defaultValue;
    }

    public long min() {
      return min;
    }

    public long max() {
      return max;
    }

    /** True if the value is a size (the loaders accept "4MiB" and the like). */
    public boolean bytes() {
      return bytes;
    }
  }

  /** Every key at its default. */
  public static final ServerLimits DEFAULTS = of(Key::defaultValue);

  /**
   * @throws IllegalArgumentException if a value is outside its key's range (loaders check first, naming the key)
   */
  public ServerLimits {
    check(Key.MAX_CONNECTIONS, maxConnections);
    check(Key.MAX_IN_FLIGHT_PER_CONNECTION, maxInFlightPerConnection);
    check(Key.MAX_IN_FLIGHT, maxInFlight);
    check(Key.MAX_QUEUED_REPLY_BYTES_PER_CONNECTION, maxQueuedReplyBytesPerConnection);
    check(Key.HANDSHAKE_TIMEOUT_MILLIS, handshakeTimeoutMillis);
    check(Key.IDLE_TIMEOUT_SECONDS, idleTimeoutSeconds);
  }

  /** Limits with each key's value from {@code value} (a loader's reading of its section). */
  public static ServerLimits of(ToLongFunction<Key> value) {
    return new ServerLimits((int) value.applyAsLong(Key.MAX_CONNECTIONS),
        (int) value.applyAsLong(Key.MAX_IN_FLIGHT_PER_CONNECTION), (int) value.applyAsLong(Key.MAX_IN_FLIGHT),
        (int) value.applyAsLong(Key.MAX_QUEUED_REPLY_BYTES_PER_CONNECTION),
        value.applyAsLong(Key.HANDSHAKE_TIMEOUT_MILLIS), value.applyAsLong(Key.IDLE_TIMEOUT_SECONDS));
  }

  private static void check(Key key, long value) {
    if (value < key.min || value > key.max) {
      throw new IllegalArgumentException(
          "limits." + key.configName + ": " + value + " is outside " + key.min + ".." + key.max);
    }
  }
}
