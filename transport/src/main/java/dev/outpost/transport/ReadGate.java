package dev.outpost.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;

/**
 * Whether one server connection reads (Netty's auto-read): not while it has {@code maxInFlightPerConnection}
 * requests in flight or {@link ServerLimits#MAX_STREAMS_PER_CONNECTION} open streams, not while its queued replies
 * are above the write buffer's high-water mark (the channel is not writable), and not while the whole server is
 * full ({@link ServerLoad}). It reads again as soon as none of these holds.
 *
 * <p>Every inbound frame counts as a request in flight until its call starts answering ({@link #answering}); a
 * call that streams is then an open stream until its last frame ({@link #streamEnded}). The gate sits right after
 * a FlowControlHandler, so the frames already decoded from the last read wait there while reading is stopped,
 * rather than flowing on; the one frame that arrives as another connection takes the server's last place waits
 * here. So the bounds are exact. State is touched on the channel's event loop only; calls answering from other
 * threads hand their update to it.
 */
final class ReadGate extends ChannelInboundHandlerAdapter {
  private final ServerLoad load;
  private final int maxInFlight;
  /** Frames read while the server was full, in order: at most the one that arrived as reading stopped. */
  private final Queue<Object> held = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private Channel channel;
  private int inFlight;
  private int streams;
  private boolean handshakeRead;
  private boolean closed;
  private boolean parked;

  ReadGate(ServerLoad load) {
    this.load = load;
    this.maxInFlight = load.limits().maxInFlightPerConnection();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!handshakeRead) {
      // The HELLO is never held for the server's total: a client can always connect, and then waits like the rest.
      handshakeRead = true;
      load.acceptAnyway();
      inFlight++;
      ctx.fireChannelRead(msg);
    } else if (held.isEmpty() && load.tryAccept()) {
      inFlight++;
      ctx.fireChannelRead(msg);
    } else {
      held.add(msg); // the server filled up as it arrived (another connection took the last place)
    }
    update(); // after the handler: a PING it answered at once needs no pause
  }

  /** A call handed over its first reply frame: it is no longer in flight; with {@code stream} it stays open. */
  void answering(boolean stream) {
    onLoop(() -> {
      if (closed) {
        return;
      }
      inFlight--;
      load.answered(1);
      if (stream) {
        streams++;
      }
      update();
    });
  }

  /** A call that streamed sent its last frame. */
  void streamEnded() {
    onLoop(() -> {
      if (!closed) {
        streams--;
        update();
      }
    });
  }

  /** The server's total fell below its bound (called from any thread, also from inside {@link #update}). */
  void serverHasRoom() {
    later(() -> {
      parked = false;
      update();
    });
  }

  /** Requests in flight plus open streams; on the event loop only. */
  int openCalls() {
    return inFlight + streams;
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    update();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    load.answered(inFlight); // calls still running are answered into a closed channel, counted here once
    inFlight = 0;
    streams = 0;
    held.forEach(ReferenceCountUtil::release);
    held.clear();
    ctx.fireChannelInactive();
  }

  private void update() {
    if (closed) {
      return;
    }
    while (!held.isEmpty() && load.tryAccept()) {
      inFlight++;
      ctx.fireChannelRead(held.poll());
    }
    boolean serverFull = !held.isEmpty() || load.full();
    boolean read = !serverFull && inFlight < maxInFlight && streams < ServerLimits.MAX_STREAMS_PER_CONNECTION
        && channel.isWritable();
    if (channel.config().isAutoRead() != read) {
      channel.config().setAutoRead(read);
    }
    if (serverFull && !parked) {
      parked = true;
      load.park(this);
    }
  }

  private void onLoop(Runnable task) {
    if (channel.eventLoop().inEventLoop()) {
      task.run();
    } else {
      later(task);
    }
  }

  private void later(Runnable task) {
    try {
      channel.eventLoop().execute(task);
    } catch (RejectedExecutionException e) {
      // the event loop has stopped with the server: nothing is read any more, nothing left to bound
    }
  }
}
