package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.Attach;
import dev.outpost.protocol.Attached;
import dev.outpost.protocol.Detach;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Hello;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.Ping;
import dev.outpost.protocol.Pong;
import dev.outpost.protocol.ProtocolException;
import dev.outpost.protocol.ProtocolVersion;
import dev.outpost.protocol.Request;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server side of one connection: handshake first, then sessions, pings and token checks, then hands each
 * request to the {@link RequestService}. A malformed frame is answered with its typed error and the
 * connection is closed (the stream cannot be trusted after it). A connection that has not finished TLS and
 * HELLO within the handshake deadline is closed: the one timer for plain and TLS connections alike (SslHandler's
 * own is off), counted from the accept, so a peer dribbling bytes cannot stretch it.
 */
final class ServerConnectionHandler extends SimpleChannelInboundHandler<Frame> {
  private static final Logger log = LoggerFactory.getLogger(ServerConnectionHandler.class);
  private static final AtomicLong CONNECTION_IDS = new AtomicLong();
  /** Sessions a single connection may open: bounds per-connection state against a misbehaving peer. */
  static final int MAX_SESSIONS = 4096;

  private final RequestService service;
  private final Authenticator authenticator;
  private final Clock clock;
  private final ReadGate gate;
  private final long handshakeTimeoutMillis;
  private final long connectionId = CONNECTION_IDS.incrementAndGet();
  private final Map<Integer, Session> sessions = new HashMap<>();
  private boolean welcomed;
  private int nextSessionId = 1;
  private ScheduledFuture<?> handshakeDeadline;

  ServerConnectionHandler(RequestService service, Authenticator authenticator, Clock clock, ReadGate gate,
      long handshakeTimeoutMillis) {
    super(Frame.class, false); // the service owns ref-counted requests; we release what we do not pass on
    this.service = service;
    this.authenticator = authenticator;
    this.clock = clock;
    this.gate = gate;
    this.handshakeTimeoutMillis = handshakeTimeoutMillis;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // Added when the connection is accepted, before TLS starts.
    handshakeDeadline = ctx.executor().schedule(() -> {
      if (!welcomed) {
        log.debug("closing {}: TLS and HELLO not done within {} ms", ctx.channel().remoteAddress(),
            handshakeTimeoutMillis);
        ctx.close();
      }
    }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
    if (!(frame.message() instanceof Request request)) {
      ReferenceCountUtil.release(frame.message());
      refuse(ctx, frame.requestId(), ErrorCode.PROTOCOL_VIOLATION, "a reply was sent to the server");
      return;
    }
    if (!welcomed) {
      handshake(ctx, frame, request);
      return;
    }
    switch (request) {
      case Hello h -> refuse(ctx, frame.requestId(), ErrorCode.PROTOCOL_VIOLATION, "second HELLO");
      case Ping p -> answer(ctx, frame, new Pong(p.nanos()));
      case Attach a -> attach(ctx, frame, a);
      case Detach d -> {
        sessions.remove(d.session());
        answer(ctx, frame, new Ok());
      }
      default -> dispatch(ctx, frame, request);
    }
  }

  private void handshake(ChannelHandlerContext ctx, Frame frame, Request request) {
    if (!(request instanceof Hello hello)) {
      ReferenceCountUtil.release(request);
      refuse(ctx, frame.requestId(), ErrorCode.PROTOCOL_VIOLATION, "expected HELLO first");
      return;
    }
    int version;
    Session own = Session.anonymous(0, connectionId);
    try {
      version = ProtocolVersion.negotiate(hello);
      if (!hello.token().isEmpty()) {
        own = Session.authenticated(0, authenticator.authenticate(hello.token()), hello.token(), connectionId);
      }
    } catch (OutpostException e) {
      refuse(ctx, frame.requestId(), e.code(), e.getMessage());
      return;
    }
    sessions.put(0, own);
    welcomed = true;
    handshakeDeadline.cancel(false);
    answer(ctx, frame, service.welcome(version));
  }

  private void attach(ChannelHandlerContext ctx, Frame frame, Attach attach) {
    try {
      if (sessions.size() >= MAX_SESSIONS) {
        throw new OutpostException(ErrorCode.BUSY, "too many sessions on one connection (" + MAX_SESSIONS + ")");
      }
      Principal p = authenticator.authenticate(attach.token());
      int id = nextSessionId++;
      sessions.put(id, Session.authenticated(id, p, attach.token(), connectionId));
      answer(ctx, frame, new Attached(id));
    } catch (OutpostException e) {
      answer(ctx, frame, Errors.toReply(e));
    }
  }

  private void dispatch(ChannelHandlerContext ctx, Frame frame, Request request) {
    ServerCall call = null;
    try {
      Session session = sessions.get(frame.session());
      if (session == null) {
        throw new OutpostException(ErrorCode.UNAUTHORIZED, "no session " + frame.session() + " on this connection");
      }
      Principal p = session.principal().orElseThrow(
          () -> new OutpostException(ErrorCode.UNAUTHORIZED, "no token given for this session"));
      if (!p.expiresAt().isAfter(clock.instant())) {
        throw new OutpostException(ErrorCode.UNAUTHORIZED, "token expired at " + p.expiresAt());
      }
      call = new ServerCall(ctx.channel(), frame.requestId(), session, gate);
      service.handle(call, request);
    } catch (RuntimeException e) {
      if (call == null) {
        ReferenceCountUtil.release(request);
        call = new ServerCall(ctx.channel(), frame.requestId(), Session.anonymous(frame.session(), connectionId), gate);
      }
      OutpostException oe = Errors.unwrap(e);
      if (oe.code() == ErrorCode.INTERNAL) {
        log.error("request {} failed", request.getClass().getSimpleName(), e);
      }
      if (!call.ended()) {
        call.fail(oe);
      }
    }
  }

  /** Answers a request the transport handles itself; through a call, so it is counted like any other. */
  private void answer(ChannelHandlerContext ctx, Frame request, dev.outpost.protocol.Reply reply) {
    new ServerCall(ctx.channel(), request.requestId(), Session.anonymous(request.session(), connectionId), gate)
        .reply(reply);
  }

  /** Answers with an error and closes: used where the peer broke the protocol. */
  private static void refuse(ChannelHandlerContext ctx, int requestId, ErrorCode code, String message) {
    ctx.writeAndFlush(new Frame(requestId, 0, 0, new ErrorReply(code, message, Optional.empty())))
        .addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    if (root instanceof ProtocolException pe) {
      log.debug("malformed frame from {}: {}", ctx.channel().remoteAddress(), pe.getMessage());
      refuse(ctx, pe.requestId(), pe.code(), pe.getMessage());
    } else if (root instanceof TooLongFrameException) {
      refuse(ctx, 0, ErrorCode.FRAME_TOO_LARGE, root.getMessage());
    } else if (root instanceof IOException) {
      log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), root.toString());
      ctx.close();
    } else {
      log.warn("connection {} failed", ctx.channel().remoteAddress(), cause);
      ctx.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (handshakeDeadline != null) {
      handshakeDeadline.cancel(false);
    }
    sessions.clear();
    service.connectionClosed(connectionId);
    ctx.fireChannelInactive();
  }
}
