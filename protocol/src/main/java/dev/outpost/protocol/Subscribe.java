package dev.outpost.protocol;

/**
 * Follows the change journal. Answered on this request id by {@link SubscribeAck}, then {@link ChangeEvent}
 * frames as changes happen, or {@link Resync} if {@code fromSeq} is older than the journal keeps; all of
 * them with {@link Frame#MORE} until {@link Unsubscribe}.
 *
 * @param fromSeq deliver events after this sequence; not negative
 * @param prefix only events at or below this path ("/" for all)
 */
public record Subscribe(long fromSeq, String prefix) implements Request {
  public Subscribe {
    Invariants.atLeast(fromSeq, 0, "sequence");
    Invariants.path(prefix);
  }
}
