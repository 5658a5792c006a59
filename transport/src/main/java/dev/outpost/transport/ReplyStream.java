package dev.outpost.transport;

import dev.outpost.core.OutpostException;
import dev.outpost.protocol.Reply;

/**
 * Receives the frames of a streamed answer (GET_BLOCKS, LIST_BLOCKS, SUBSCRIBE). Called on the
 * connection's event loop, in arrival order: do not block in it.
 */
public interface ReplyStream {
  /**
   * One reply frame. The stream owns {@code reply}: one holding a buffer (BlockData) must be released.
   *
   * @param last true for the frame without MORE: nothing follows
   */
  void onReply(Reply reply, boolean last);

  /** The call failed (error reply or lost connection); nothing follows. */
  void onError(OutpostException error);
}
