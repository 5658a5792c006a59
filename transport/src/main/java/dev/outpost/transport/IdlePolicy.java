package dev.outpost.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a server connection that is idle, on the events of a Netty IdleStateHandler (reader and writer idle
 * after {@code limits.idleTimeoutSeconds}, output observed): one that has read nothing for that long while it has
 * nothing open ({@link ReadGate#openCalls}), and one whose peer has taken none of its queued replies for that long
 * while they are above the high-water mark. Clients of this transport send a {@link Heartbeat} PING when quiet,
 * so their connections are closed only once the client is gone; a connection with an open watch or subscription is
 * kept as well. What this closes is a peer that neither speaks nor waits for anything.
 */
final class IdlePolicy extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(IdlePolicy.class);
  private final ReadGate gate;
  private final long idleSeconds;

  IdlePolicy(ReadGate gate, long idleSeconds) {
    this.gate = gate;
    this.idleSeconds = idleSeconds;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (!(evt instanceof IdleStateEvent idle)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    if (idle.state() == IdleState.READER_IDLE && gate.openCalls() == 0) {
      log.debug("closing {}: nothing read and nothing open for {} s", ctx.channel().remoteAddress(), idleSeconds);
      ctx.close();
    } else if (idle.state() == IdleState.WRITER_IDLE && !ctx.channel().isWritable()) {
      log.debug("closing {}: the peer took none of its queued replies for {} s", ctx.channel().remoteAddress(),
          idleSeconds);
      ctx.close();
    }
  }
}
