package dev.outpost.origin.config;

import dev.outpost.transport.ServerLimits;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The origin's configuration: one immutable tree, read from YAML by {@link OriginConfigLoader}, which also
 * holds every default and every range check. Relative paths are resolved against the config file's
 * directory; TLS files default to {@code <dataDir>/tls/...} where {@code init} writes them.
 *
 * @param dataDir the volume's LMDB environment, signing key, lease epoch file and TLS material
 * @param listen where the protocol is served
 * @param tls transport security
 * @param maxFrameBytes largest frame accepted or sent
 * @param store LMDB map sizing
 * @param journal change journal retention and subscriber buffering
 * @param gc periodic garbage collection of unreferenced blocks
 * @param snapshots snapshot naming and automatic snapshots
 * @param leases lease limits
 * @param server worker threads and queue bounds
 * @param metrics the optional HTTP listener serving {@code /metrics}
 * @param limits what the protocol listener lets its connections hold (in flight, queued, connections, time)
 */
public record OriginConfig(Path dataDir, Listen listen, Tls tls, int maxFrameBytes, Store store, Journal journal,
    Gc gc, Snapshots snapshots, Leases leases, Server server, Optional<Listen> metrics, ServerLimits limits) {

  /** A host and port; port 0 picks a free port (tests). */
  public record Listen(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /**
   * @param enabled serve TLS (with it off the origin listens in plain text: for tests and loopback only)
   * @param ca the CA that signed the server certificate and the proxies' client certificates
   * @param cert the server certificate chain (PEM)
   * @param key the server's PKCS#8 key (PEM)
   * @param requireClientCerts refuse peers without a certificate signed by {@code ca}
   */
  public record Tls(boolean enabled, Path ca, Path cert, Path key, boolean requireClientCerts) {}

  /**
   * @param initialMapBytes LMDB map size at open (grows by doubling)
   * @param maxMapBytes the map never grows past this; writes then fail with NO_SPACE
   * @param maxReaders concurrent LMDB read transactions
   */
  public record Store(long initialMapBytes, long maxMapBytes, int maxReaders) {}

  /**
   * @param retainEvents journal entries kept; a subscriber further behind gets RESYNC
   * @param subscriberQueueEvents live events buffered per subscriber before it falls back to the journal
   */
  public record Journal(long retainEvents, int subscriberQueueEvents) {}

  /**
   * @param intervalSeconds time between collections; 0 = never (run {@code outpost-origin gc} instead)
   * @param graceSeconds a block unreferenced and untouched for this long may be deleted
   */
  public record Gc(long intervalSeconds, long graceSeconds) {}

  /**
   * @param autoNamePattern a java.time pattern naming automatic snapshots, e.g. {@code 'nightly-'yyyy-MM-dd}
   * @param autoIntervalSeconds time between automatic snapshots; 0 = none
   */
  public record Snapshots(String autoNamePattern, long autoIntervalSeconds) {}

  /** @param maxTtlSeconds longer requested lease lifetimes are shortened to this */
  public record Leases(long maxTtlSeconds) {}

  /**
   * @param readerThreads threads serving reads (LMDB read transactions, block copies)
   * @param queuedRequests requests waiting per pool before new ones get BUSY
   */
  public record Server(int readerThreads, int queuedRequests) {}
}
