package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.Frames;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A listening socket that speaks the protocol and hands requests to a {@link RequestService}, within the bounds of
 * its {@link ServerLimits}: connections, requests in flight, queued reply bytes, handshake and idle time.
 */
public final class RpcServer implements AutoCloseable {
  private final Channel serverChannel;
  private final ChannelGroup connections;
  private final ServerLoad load;

  private RpcServer(Channel serverChannel, ChannelGroup connections, ServerLoad load) {
    this.serverChannel = serverChannel;
    this.connections = connections;
    this.load = load;
  }

  /**
   * {@link #start(InetSocketAddress, Optional, int, EventLoopGroup, RequestService, Authenticator, Clock,
   * ServerLimits) start} with {@link ServerLimits#DEFAULTS} (tests and tools).
   */
  public static RpcServer start(InetSocketAddress bind, Optional<SslContext> tls, int maxFrameBytes,
      EventLoopGroup group, RequestService service, Authenticator authenticator, Clock clock) {
    return start(bind, tls, maxFrameBytes, group, service, authenticator, clock, ServerLimits.DEFAULTS);
  }

  /**
   * Binds and starts serving.
   *
   * @throws OutpostException UNAVAILABLE if the address cannot be bound
   */
  public static RpcServer start(InetSocketAddress bind, Optional<SslContext> tls, int maxFrameBytes,
      EventLoopGroup group, RequestService service, Authenticator authenticator, Clock clock, ServerLimits limits) {
    ChannelGroup connections = new DefaultChannelGroup("rpc-connections", GlobalEventExecutor.INSTANCE);
    ServerLoad load = new ServerLoad(limits);
    int queued = limits.maxQueuedReplyBytesPerConnection();
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(Transports.serverChannel())
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(queued / 2, queued))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (!load.admit()) {
              ch.close();
              return;
            }
            ch.closeFuture().addListener(f -> load.left());
            connections.add(ch);
            tls.ifPresent(ctx -> {
              SslHandler h = ctx.newHandler(ch.alloc());
              h.setHandshakeTimeoutMillis(0); // the connection's handshake deadline covers TLS and HELLO
              ch.pipeline().addLast("tls", h);
            });
            ch.pipeline().addLast("flush", new FlushConsolidationHandler(64, true));
            ch.pipeline().addLast("writability", new WritabilityWaiters());
            Frames.install(ch.pipeline(), maxFrameBytes);
            // Frames decoded after reading stopped wait in the FlowControlHandler, not in the service.
            ch.pipeline().addLast("flow", new FlowControlHandler());
            ReadGate gate = new ReadGate(load);
            ch.pipeline().addLast("gate", gate);
            if (limits.idleTimeoutSeconds() > 0) {
              ch.pipeline().addLast("idle", new IdleStateHandler(true, limits.idleTimeoutSeconds(),
                  limits.idleTimeoutSeconds(), 0, TimeUnit.SECONDS));
              ch.pipeline().addLast("idle-policy", new IdlePolicy(gate, limits.idleTimeoutSeconds()));
            }
            ch.pipeline().addLast("server", new ServerConnectionHandler(service, authenticator, clock, gate,
                limits.handshakeTimeoutMillis()));
          }
        });
    try {
      Channel ch = b.bind(bind).syncUninterruptibly().channel();
      return new RpcServer(ch, connections, load);
    } catch (Exception e) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, "cannot listen on " + bind + ": " + e.getMessage(), e);
    }
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  public int port() {
    return address().getPort();
  }

  /** Connections open now. */
  public int connections() {
    return load.connections();
  }

  /** Requests read and not yet answering, on all connections. */
  public int requestsInFlight() {
    return load.inFlight();
  }

  /**
   * Stops listening and closes every accepted connection, so each client learns at once that the server is gone
   * (and a reconnecting client finds the next server on this port) rather than finding out from a silent socket.
   */
  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    connections.close().awaitUninterruptibly();
  }
}
