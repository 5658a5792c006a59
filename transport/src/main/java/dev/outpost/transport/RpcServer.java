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
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Optional;

/** A listening socket that speaks the protocol and hands requests to a {@link RequestService}. */
public final class RpcServer implements AutoCloseable {
  /** Outbound bytes queued per connection before a streamer must pause (backpressure). */
  public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(1 << 20, 4 << 20);

  private final Channel serverChannel;
  private final ChannelGroup connections;

  private RpcServer(Channel serverChannel, ChannelGroup connections) {
    this.serverChannel = serverChannel;
    this.connections = connections;
  }

  /**
   * Binds and starts serving.
   *
   * @throws OutpostException UNAVAILABLE if the address cannot be bound
   */
  public static RpcServer start(InetSocketAddress bind, Optional<SslContext> tls, int maxFrameBytes,
      EventLoopGroup group, RequestService service, Authenticator authenticator, Clock clock) {
    ChannelGroup connections = new DefaultChannelGroup("rpc-connections", GlobalEventExecutor.INSTANCE);
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(Transports.serverChannel())
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            connections.add(ch);
            tls.ifPresent(ctx -> ch.pipeline().addLast("tls", ctx.newHandler(ch.alloc())));
            ch.pipeline().addLast("flush", new FlushConsolidationHandler(64, true));
            ch.pipeline().addLast("writability", new WritabilityWaiters());
            Frames.install(ch.pipeline(), maxFrameBytes);
            ch.pipeline().addLast("server", new ServerConnectionHandler(service, authenticator, clock));
          }
        });
    try {
      Channel ch = b.bind(bind).syncUninterruptibly().channel();
      return new RpcServer(ch, connections);
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
