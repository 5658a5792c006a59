package dev.outpost.protocol;

import dev.outpost.core.ErrorCode;

/**
 * The protocol versions this build speaks and the one place where a version is chosen. A client offers a
 * range in {@link Hello}; the server answers with the highest version both speak in {@link Welcome}.
 */
public final class ProtocolVersion {
  /** The newest version this build speaks. */
  public static final int CURRENT = 2;
  /** The oldest version this build still speaks. */
  public static final int MIN_SUPPORTED = 2;

  private ProtocolVersion() {}

  /**
   * Server side: the highest version both ends speak.
   *
   * @throws ProtocolException UNSUPPORTED_VERSION naming both ranges, e.g. "client speaks 3..4, server 1..1"
   */
  public static int negotiate(Hello hello) {
    int version = Math.min(hello.maxVersion(), CURRENT);
    if (version < Math.max(hello.minVersion(), MIN_SUPPORTED)) {
      throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION,
          "client speaks " + hello.minVersion() + ".." + hello.maxVersion() + ", server "
              + MIN_SUPPORTED + ".." + CURRENT, 0);
    }
    return version;
  }

  /**
   * Client side: checks that the server chose a version this build speaks.
   *
   * @return the version of {@code welcome}
   * @throws ProtocolException UNSUPPORTED_VERSION otherwise
   */
  public static int accept(Welcome welcome) {
    if (welcome.version() < MIN_SUPPORTED || welcome.version() > CURRENT) {
      throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION,
          "server chose version " + welcome.version() + ", client speaks " + MIN_SUPPORTED + ".." + CURRENT, 0);
    }
    return welcome.version();
  }

  /** The {@link Hello} this build sends. */
  public static Hello hello(String agent, String token) {
    return new Hello(MIN_SUPPORTED, CURRENT, agent, token);
  }
}
