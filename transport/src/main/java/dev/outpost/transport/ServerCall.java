package dev.outpost.transport;

import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Reply;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request being answered. Thread-safe: a service may reply from any thread (the write is handed to the
 * channel's event loop). A call ends with exactly one {@link #reply} or {@link #fail}; a streamed answer
 * sends {@link #more} frames first.
 *
 * <p>Replies that hold a buffer (BlockData) pass ownership to the channel: do not release them after
 * handing them over. If the call has already ended, or the channel is gone, they are released here.
 *
 * <p>The call counts as a request in flight of its connection until its first reply frame, and as an open stream
 * from a first {@link #more} until its last frame ({@link ServerLimits}): a service that never answers keeps its
 * connection from reading.
 */
public final class ServerCall {
  private static final int WAITING = 0;
  private static final int STREAMING = 1;
  private static final int ENDED = 2;

  private final Channel channel;
  private final int requestId;
  private final Session session;
  private final ReadGate gate;
  private final AtomicInteger state = new AtomicInteger(WAITING);

  ServerCall(Channel channel, int requestId, Session session, ReadGate gate) {
    this.channel = channel;
    this.requestId = requestId;
    this.session = session;
    this.gate = gate;
  }

  public int requestId() {
    return requestId;
  }

  public Session session() {
    return session;
  }

  public SocketAddress remoteAddress() {
    return channel.remoteAddress();
  }

  /** Sends a reply frame with MORE set: the call continues. */
  public ChannelFuture more(Reply reply) {
    if (state.compareAndSet(WAITING, STREAMING)) {
      gate.answering(true);
    } else if (state.get() == ENDED) {
      return alreadyEnded(reply);
    }
    return send(reply, Frame.MORE);
  }

  /** Sends the final reply frame. */
  public ChannelFuture reply(Reply reply) {
    int was = state.getAndSet(ENDED);
    if (was == ENDED) {
      return alreadyEnded(reply);
    }
    if (was == WAITING) {
      gate.answering(false);
    } else {
      gate.streamEnded();
    }
    return send(reply, 0);
  }

  private ChannelFuture alreadyEnded(Reply reply) {
    ReferenceCountUtil.release(reply);
    return channel.newFailedFuture(new IllegalStateException("call " + requestId + " already ended"));
  }

  /** Ends the call with an error reply; foreign exceptions become INTERNAL (the log holds the cause). */
  public void fail(Throwable failure) {
    reply(Errors.toReply(failure));
  }

  /**
   * Sends an unsolicited push (request id 0) to this call's session, e.g. a LEASE_RECALL; usable after the
   * call has ended, for as long as the connection is open. Ownership of {@code reply} passes as for replies.
   */
  public ChannelFuture push(Reply reply) {
    if (!channel.isActive()) {
      ReferenceCountUtil.release(reply);
      return channel.newFailedFuture(new IllegalStateException("channel closed"));
    }
    return channel.writeAndFlush(new Frame(0, session.id(), 0, reply));
  }

  /** True once reply or fail was called. */
  public boolean ended() {
    return state.get() == ENDED;
  }

  /** False while the channel's outbound buffer is above its high-water mark: a streamer should pause. */
  public boolean isWritable() {
    return channel.isWritable();
  }

  public boolean isOpen() {
    return channel.isActive();
  }

  /** Runs {@code task} on the channel's event loop once the channel is writable again (or closed). */
  public void whenWritable(Runnable task) {
    WritabilityWaiters.of(channel).add(task);
  }

  private ChannelFuture send(Reply reply, int flags) {
    if (!channel.isActive()) {
      ReferenceCountUtil.release(reply);
      return channel.newFailedFuture(new IllegalStateException("channel closed"));
    }
    return channel.writeAndFlush(new Frame(requestId, session.id(), flags, reply));
  }
}
