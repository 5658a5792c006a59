package dev.outpost.transport;

import dev.outpost.protocol.Request;
import dev.outpost.protocol.Welcome;

/**
 * What a server does with requests once the transport has done the handshake, sessions, pings and
 * authentication. Called on the connection's event loop: an implementation must not block there —
 * LMDB writes, disk and crypto of big buffers go to its own executors.
 */
public interface RequestService {
  /** The WELCOME for a newly negotiated connection. */
  Welcome welcome(int version);

  /**
   * Answers {@code request} through {@code call}. The service owns {@code request}: one holding a buffer
   * (PutBlock) must be released by the service on every path.
   */
  void handle(ServerCall call, Request request);

  /** The connection is gone: drop its subscriptions, leases in flight, etc. */
  default void connectionClosed(long connectionId) {}
}
