package dev.outpost.protocol;

/**
 * The subscriber fell behind the journal's retention: drop every cached entry under the prefix and
 * revalidate; events continue after {@code currentSeq}.
 *
 * @param currentSeq the journal's sequence now
 */
public record Resync(long currentSeq) implements Reply {
  public Resync {
    Invariants.atLeast(currentSeq, 0, "sequence");
  }
}
