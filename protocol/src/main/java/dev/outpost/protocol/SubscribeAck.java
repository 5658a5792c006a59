package dev.outpost.protocol;

/**
 * First frame of a subscription: it is live.
 *
 * @param currentSeq the journal's sequence at the time of subscribing
 */
public record SubscribeAck(long currentSeq) implements Reply {
  public SubscribeAck {
    Invariants.atLeast(currentSeq, 0, "sequence");
  }
}
