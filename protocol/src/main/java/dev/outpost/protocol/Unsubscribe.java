package dev.outpost.protocol;

/**
 * Ends a subscription. Answered by {@link Ok}; no event of that subscription follows the Ok.
 *
 * @param subscribeRequestId the request id of the {@link Subscribe}, non-zero
 */
public record Unsubscribe(int subscribeRequestId) implements Request {
  public Unsubscribe {
    if (subscribeRequestId == 0) {
      throw Invariants.invalid("request id 0 is never a subscription");
    }
  }
}
