package dev.outpost.protocol;

/**
 * Liveness and round-trip probe. Answered by {@link Pong} with the same value.
 *
 * @param nanos an opaque value, typically the sender's {@code System.nanoTime()}
 */
public record Ping(long nanos) implements Request {}
