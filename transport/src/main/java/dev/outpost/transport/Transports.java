package dev.outpost.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Event loops and channel types, chosen in one place. */
public final class Transports {
  private Transports() {}

  /** An event loop group whose threads are named {@code name-N} and are daemons. */
  public static EventLoopGroup newGroup(String name, int threads) {
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), NioIoHandler.newFactory());
  }

  public static Class<? extends ServerSocketChannel> serverChannel() {
    return NioServerSocketChannel.class;
  }

  public static Class<? extends SocketChannel> socketChannel() {
    return NioSocketChannel.class;
  }
}
