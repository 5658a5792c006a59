package dev.outpost.protocol;

/**
 * Names one mutation so that it is applied at most once however often it is sent: the origin records the reply
 * of every applied operation that carries an id and answers a repeated id with that reply, changing nothing.
 * On the wire it ends every {@link Mutation}'s body as {@code u64 originator, u64 seq}.
 *
 * <p>An originator is a random non-zero 64-bit number made by whoever numbers its operations (a client library
 * instance, a proxy's write-back log); its sequences start at 1 and only grow. The origin keeps the newest
 * {@link #WINDOW} replies per originator: a sender must keep fewer than that many of its sequences between its
 * oldest unanswered operation and its newest one, or a resend of the oldest may be refused STALE_OPERATION.
 *
 * @param originator who numbered the operation; 0 only in {@link #NONE}
 * @param seq its number, at least 1; 0 only in {@link #NONE}
 */
public record OperationId(long originator, long seq) {
  /** No id: the operation is not deduplicated (sending it twice may apply it twice). */
  public static final OperationId NONE = new OperationId(0, 0);
  /** How many of an originator's newest replies the origin keeps. */
  public static final int WINDOW = 4096;

  /** @throws dev.outpost.core.OutpostException INVALID_ARGUMENT for half of NONE or a sequence below 1 */
  public OperationId {
    if ((originator == 0) != (seq == 0)) {
      throw Invariants.invalid("operation id (" + Long.toUnsignedString(originator) + ", " + seq
          + "): originator and seq are both 0 (no id) or both set");
    }
    if (originator != 0) {
      Invariants.atLeast(seq, 1, "operation sequence");
    }
  }

  /** Whether this is {@link #NONE}. */
  public boolean isNone() {
    return originator == 0;
  }

  /** "originator/seq" with the originator in hex, for logs and messages. */
  @Override
  public String toString() {
    return isNone() ? "none" : Long.toHexString(originator) + "/" + seq;
  }
}
