package dev.outpost.proxy.config;

import dev.outpost.transport.ServerLimits;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The proxy's configuration: one immutable tree, read and validated by {@link ProxyConfigLoader}, which also
 * holds every default and range. Relative paths are resolved against the config file's directory.
 *
 * @param volume the volume served (tokens are checked against it before any WAN trip)
 * @param listen where clients connect
 * @param origin the origin's address
 * @param tokenFile the proxy's own access token (read access suffices), used in HELLO to the origin
 * @param originPublicKeyFile the origin's Ed25519 token-signing public key (PEM), to check client tokens
 * @param tls client-facing TLS
 * @param upstreamTls TLS to the origin; with a certificate and key it is mutual
 * @param cache the LMDB block cache
 * @param attrs the attribute cache
 * @param reconnect backoff of the upstream link
 * @param heartbeat how the upstream link notices an origin that vanished without closing the connection
 * @param disconnected when a lost link counts as disconnected
 * @param maxFrameBytes largest frame accepted from clients and the origin
 * @param requestTimeoutMillis how long a client request may wait for the origin link to come up
 * @param metrics where JSON metrics are served over HTTP ({@code GET /metrics}); empty = not served
 * @param admin the admin HTTP API (status, warm jobs, pin/evict, Prometheus, dashboard); empty = not served
 * @param limits what the client listener lets its connections hold (in flight, queued, connections, time)
 */
public record ProxyConfig(String volume, Listen listen, Listen origin, Path tokenFile, Path originPublicKeyFile,
    Tls tls, Tls upstreamTls, Cache cache, Attrs attrs, Reconnect reconnect, Heartbeat heartbeat,
    Disconnected disconnected, int maxFrameBytes, long requestTimeoutMillis, Optional<Listen> metrics,
    Optional<Admin> admin, ServerLimits limits) {

  /**
   * @param listen where the admin API listens (loopback by default: it can evict and pin)
   * @param tokenFile the bearer token every {@code /api} request must carry; generated (0600) if absent
   */
  public record Admin(Listen listen, Path tokenFile) {}

  /** A host and port; port 0 picks a free port (tests). */
  public record Listen(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /**
   * @param enabled use TLS on this side
   * @param ca the CA to trust (peer certificates)
   * @param cert this end's certificate chain; for upstream optional (mutual TLS when present)
   * @param key this end's PKCS#8 key
   */
  public record Tls(boolean enabled, Optional<Path> ca, Optional<Path> cert, Optional<Path> key) {
    public static final Tls OFF = new Tls(false, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /**
   * @param dir the LMDB environment directory (disposable: a cache)
   * @param maxBytes ciphertext bytes kept before the least recently used blocks are evicted (segmented LRU)
   * @param maxMapBytes LMDB map limit; must exceed maxBytes to leave room for page overhead
   * @param syncIntervalMillis how often the non-durable LMDB environment is flushed to disk
   * @param readerThreads threads reading, verifying and sending cached blocks
   */
  public record Cache(Path dir, long maxBytes, long maxMapBytes, long syncIntervalMillis, int readerThreads) {}

  /**
   * @param maxEntries paths whose attributes and listings are kept
   * @param prefetchMaxFileBytes largest file a listed directory has fetched ahead whole (data and index blocks);
   *     larger files get only their root block ahead; 0 = no blocks prefetched
   * @param prefetchMaxBlocks at most this many files' root blocks are prefetched per directory page
   * @param prefetchDirBytes file bytes fetched ahead whole per directory page, files taken in name order
   * @param prefetchInFlightBytes prefetch ciphertext being fetched at once; more waits (clients' misses never do)
   * @param prefetchDirDepth levels of subdirectories listed ahead (and prefetched) below a listed directory
   */
  public record Attrs(long maxEntries, long prefetchMaxFileBytes, int prefetchMaxBlocks, long prefetchDirBytes,
      long prefetchInFlightBytes, int prefetchDirDepth) {}

  /** @param initialMillis first retry delay; @param maxMillis the delay doubles up to this (with jitter) */
  public record Reconnect(long initialMillis, long maxMillis) {}

  /**
   * @param intervalMillis a PING to the origin after this long without sending anything
   * @param timeoutMillis the connection is taken for lost after this long without a byte from the origin
   */
  public record Heartbeat(long intervalMillis, long timeoutMillis) {}

  /**
   * @param graceMillis a lost link is DEGRADED (requests wait for it) this long, then DISCONNECTED
   */
  public record Disconnected(long graceMillis) {}
}
