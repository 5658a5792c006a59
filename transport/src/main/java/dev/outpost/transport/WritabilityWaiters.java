package dev.outpost.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.ArrayDeque;
import java.util.Queue;

/** Tasks waiting for a channel to become writable again; runs them on the event loop, also on close. */
final class WritabilityWaiters extends ChannelInboundHandlerAdapter {
  private static final AttributeKey<WritabilityWaiters> KEY = AttributeKey.valueOf("outpost.writabilityWaiters");
  private final Queue<Runnable> waiting = new ArrayDeque<>();
  private Channel channel;

  static WritabilityWaiters of(Channel channel) {
    WritabilityWaiters w = channel.attr(KEY).get();
    if (w == null) {
      throw new IllegalStateException("channel has no WritabilityWaiters handler");
    }
    return w;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    channel.attr(KEY).set(this);
  }

  void add(Runnable task) {
    channel.eventLoop().execute(() -> {
      if (channel.isWritable() || !channel.isActive()) {
        task.run();
      } else {
        waiting.add(task);
      }
    });
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    drain();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    drain();
    ctx.fireChannelInactive();
  }

  private void drain() {
    while ((channel.isWritable() || !channel.isActive()) && !waiting.isEmpty()) {
      waiting.poll().run();
    }
  }
}
