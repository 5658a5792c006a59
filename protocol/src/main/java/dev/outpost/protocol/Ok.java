package dev.outpost.protocol;

/** Success without a value. */
public record Ok() implements Reply {}
