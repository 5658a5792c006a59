package dev.outpost.protocol;

/**
 * Answer to {@link Ping}.
 *
 * @param nanos the value of the ping, unchanged
 */
public record Pong(long nanos) implements Reply {}
