package dev.outpost.transport;

/** Turns a token string into a {@link Principal}; thread-safe. */
@FunctionalInterface
public interface Authenticator {
  /**
   * @throws dev.outpost.core.OutpostException UNAUTHORIZED with a one-line reason
   */
  Principal authenticate(String token);
}
