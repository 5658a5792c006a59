package dev.outpost.client;

import static dev.outpost.transport.Heartbeat.MAX_INTERVAL_MILLIS;
import static dev.outpost.transport.Heartbeat.MAX_TIMEOUT_MILLIS;
import static dev.outpost.transport.Heartbeat.MIN_INTERVAL_MILLIS;
import static dev.outpost.transport.Heartbeat.minTimeoutMillis;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How an {@link OutpostClient} connects and how hard it pipelines. Immutable; every value is checked here so a
 * bad setting fails at {@link OutpostClient#connect} naming the setting, the value and the allowed range.
 *
 * @param server host:port of an origin or of a branch proxy (same protocol, nothing else changes)
 * @param token the access token presented in HELLO
 * @param keyFile the volume key file (the only secret the client needs)
 * @param tlsCa the CA certificate (PEM) to trust; empty = plain TCP
 * @param tlsClientCert this client's certificate chain and PKCS#8 key (PEM), for a server that requires client
 *     certificates (an origin by default); empty = none
 * @param readAheadBytes ciphertext a sequential read keeps requested ahead of the reader; 256 KiB..1 GiB
 * @param parallelism worker threads for sealing/unsealing and files imported at once; 1..256
 * @param connectTimeout how long to wait for the server's WELCOME; after the connection is lost, how long a call
 *     waits for the reconnection before failing UNAVAILABLE
 * @param reconnect the delays between reconnection attempts after the connection is lost
 * @param heartbeat how a server that vanished without closing the connection is noticed
 */
public record ClientConfig(String server, String token, Path keyFile, Optional<Path> tlsCa,
    Optional<ClientCert> tlsClientCert, long readAheadBytes, int parallelism, Duration connectTimeout,
    Reconnect reconnect, Heartbeat heartbeat) {

  /**
   * Jittered exponential backoff between reconnection attempts: the first after about {@code initialMillis}, each
   * further one up to twice as late, never later than {@code maxMillis}. A call waiting for the connection brings
   * a later attempt forward, so a long backoff does not make a call fail while the server is back.
   *
   * @param initialMillis 1..60,000
   * @param maxMillis initialMillis..3,600,000
   */
  public record Reconnect(long initialMillis, long maxMillis) {
    public Reconnect {
      if (initialMillis < 1 || initialMillis > 60_000) {
        throw bad("reconnect.initialMillis", initialMillis, "1..60000");
      }
      if (maxMillis < initialMillis || maxMillis > 3_600_000) {
        throw bad("reconnect.maxMillis", maxMillis, initialMillis + "..3600000");
      }
    }
  }

  /**
   * The connection's heartbeat: a PING after {@code intervalMillis} without sending anything, and the connection
   * taken for lost (and reconnected) after {@code timeoutMillis} without hearing anything from the server, so a
   * mount notices a proxy that vanished without closing the connection (power cut, cable pulled) within seconds.
   *
   * @param intervalMillis 50..600,000
   * @param timeoutMillis 2 × intervalMillis..3,600,000
   */
  public record Heartbeat(long intervalMillis, long timeoutMillis) {
    public Heartbeat {
      // The ranges are the transport's (one place); the messages name this config's settings.
      if (intervalMillis < MIN_INTERVAL_MILLIS || intervalMillis > MAX_INTERVAL_MILLIS) {
        throw bad("heartbeat.intervalMillis", intervalMillis, MIN_INTERVAL_MILLIS + ".." + MAX_INTERVAL_MILLIS);
      }
      long min = minTimeoutMillis(intervalMillis);
      if (timeoutMillis < min || timeoutMillis > MAX_TIMEOUT_MILLIS) {
        throw bad("heartbeat.timeoutMillis", timeoutMillis, min + ".." + MAX_TIMEOUT_MILLIS + ", at least twice the interval");
      }
    }

    dev.outpost.transport.Heartbeat toTransport() {
      return new dev.outpost.transport.Heartbeat(intervalMillis, timeoutMillis);
    }
  }

  /** A client certificate chain and its unencrypted PKCS#8 key, both PEM files. */
  public record ClientCert(Path cert, Path key) {
    public ClientCert {
      if (cert == null || key == null) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "tls client certificate needs both a certificate and a key file");
      }
    }
  }

  public static final long DEFAULT_READ_AHEAD_BYTES = 8L << 20;
  public static final long MIN_READ_AHEAD_BYTES = 256L << 10;
  public static final long MAX_READ_AHEAD_BYTES = 1L << 30;
  public static final int MAX_PARALLELISM = 256;
  /** A LAN to a branch proxy: retry soon, and never wait long once it is back. */
  public static final Reconnect DEFAULT_RECONNECT = new Reconnect(100, 5_000);
  /** A PING after 2 s of quiet; the server is taken for gone after 6 s without a byte from it. */
  public static final Heartbeat DEFAULT_HEARTBEAT = new Heartbeat(
      dev.outpost.transport.Heartbeat.DEFAULT.intervalMillis(), dev.outpost.transport.Heartbeat.DEFAULT.timeoutMillis());

  public ClientConfig {
    if (server == null || server.isBlank()) {
      throw bad("server", server, "host:port");
    }
    parseAddress(server);
    if (token == null || token.isBlank()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "token: missing (give --token, --token-file or 'token' in the config)");
    }
    if (keyFile == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "key file: missing (give --key-file or 'keyFile' in the config)");
    }
    tlsCa = tlsCa == null ? Optional.empty() : tlsCa;
    tlsClientCert = tlsClientCert == null ? Optional.empty() : tlsClientCert;
    if (tlsClientCert.isPresent() && tlsCa.isEmpty()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "tls client certificate given without a CA to trust (tlsCa)");
    }
    if (readAheadBytes < MIN_READ_AHEAD_BYTES || readAheadBytes > MAX_READ_AHEAD_BYTES) {
      throw bad("readAheadBytes", readAheadBytes, MIN_READ_AHEAD_BYTES + ".." + MAX_READ_AHEAD_BYTES);
    }
    if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
      throw bad("parallelism", parallelism, "1.." + MAX_PARALLELISM);
    }
    if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw bad("connectTimeout", connectTimeout, "a positive duration");
    }
    if (reconnect == null) {
      throw bad("reconnect", null, "initial and max delays");
    }
    if (heartbeat == null) {
      throw bad("heartbeat", null, "interval and timeout");
    }
  }

  /**
   * A config with the defaults: 8 MiB read-ahead, parallelism = available processors (at least 2), 10 s connect
   * timeout, reconnection after 100 ms doubling up to 5 s, a heartbeat every 2 s with a 6 s timeout.
   */
  public static ClientConfig of(String server, String token, Path keyFile) {
    return new ClientConfig(server, token, keyFile, Optional.empty(), Optional.empty(), DEFAULT_READ_AHEAD_BYTES,
        Math.max(2, Runtime.getRuntime().availableProcessors()), Duration.ofSeconds(10), DEFAULT_RECONNECT,
        DEFAULT_HEARTBEAT);
  }

  public ClientConfig withTlsCa(Path ca) {
    return new ClientConfig(server, token, keyFile, Optional.of(ca), tlsClientCert, readAheadBytes, parallelism, connectTimeout, reconnect, heartbeat);
  }

  /** Mutual TLS: present this certificate (needs {@link #withTlsCa} as well). */
  public ClientConfig withTlsClientCert(Path cert, Path key) {
    return new ClientConfig(server, token, keyFile, tlsCa, Optional.of(new ClientCert(cert, key)), readAheadBytes,
        parallelism, connectTimeout, reconnect, heartbeat);
  }

  public ClientConfig withReadAheadBytes(long bytes) {
    return new ClientConfig(server, token, keyFile, tlsCa, tlsClientCert, bytes, parallelism, connectTimeout, reconnect, heartbeat);
  }

  public ClientConfig withParallelism(int threads) {
    return new ClientConfig(server, token, keyFile, tlsCa, tlsClientCert, readAheadBytes, threads, connectTimeout, reconnect, heartbeat);
  }

  public ClientConfig withConnectTimeout(Duration timeout) {
    return new ClientConfig(server, token, keyFile, tlsCa, tlsClientCert, readAheadBytes, parallelism, timeout, reconnect, heartbeat);
  }

  public ClientConfig withReconnect(Reconnect delays) {
    return new ClientConfig(server, token, keyFile, tlsCa, tlsClientCert, readAheadBytes, parallelism, connectTimeout,
        delays, heartbeat);
  }

  public ClientConfig withHeartbeat(Heartbeat h) {
    return new ClientConfig(server, token, keyFile, tlsCa, tlsClientCert, readAheadBytes, parallelism, connectTimeout,
        reconnect, h);
  }

  /** The server as a socket address (unresolved names are resolved at connect). */
  public InetSocketAddress address() {
    return parseAddress(server);
  }

  /** Hides the token. */
  @Override
  public String toString() {
    return "ClientConfig[server=" + server + ", keyFile=" + keyFile + ", tlsCa=" + tlsCa.map(Path::toString).orElse("none")
        + ", tlsClientCert=" + tlsClientCert.map(c -> c.cert().toString()).orElse("none")
        + ", readAheadBytes=" + readAheadBytes + ", parallelism=" + parallelism + ", connectTimeout=" + connectTimeout
        + ", reconnect=" + reconnect.initialMillis() + ".." + reconnect.maxMillis() + " ms, heartbeat="
        + heartbeat.intervalMillis() + "/" + heartbeat.timeoutMillis() + " ms]";
  }

  static InetSocketAddress parseAddress(String server) {
    int colon = server.lastIndexOf(':');
    if (colon <= 0 || colon == server.length() - 1) {
      throw bad("server", server, "host:port");
    }
    String host = server.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(server.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw bad("server", server, "host:port with a numeric port");
    }
    if (port < 1 || port > 65535) {
      throw bad("server port", port, "1..65535");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  private static OutpostException bad(String key, Object value, String allowed) {
    return new OutpostException(ErrorCode.INVALID_ARGUMENT, key + ": " + value + " is not valid (expected " + allowed + ")");
  }
}
