package dev.outpost.protocol;

/** Lists the volume's snapshots. Answered by {@link Snapshots}. */
public record SnapshotList() implements Request {}
