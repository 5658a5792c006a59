package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.Attach;
import dev.outpost.protocol.Attached;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.Hello;
import dev.outpost.protocol.Ping;
import dev.outpost.protocol.ProtocolVersion;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Welcome;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client end of one connection: requests are pipelined, each with its own request id, and answered in any
 * order. A request the connection's loss leaves unanswered fails with {@link ConnectionLostException}; the
 * connection does not come back ({@link RpcLink} replaces it). Thread-safe. Futures and {@link ReplyStream}
 * callbacks complete on the connection's event loop: chain blocking work with the *Async variants onto your own
 * executor.
 *
 * <p>Once welcomed, the connection keeps a {@link Heartbeat}: a PING after {@code intervalMillis} without a
 * write, and closed as lost after {@code timeoutMillis} without a read (Netty's {@link IdleStateHandler}, first
 * in the pipeline, so bytes of a large frame still arriving count). A PING unanswered for an interval with
 * nothing else heard meanwhile makes the connection {@link #isOverdue() overdue} until the server is heard again.
 */
public final class RpcClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RpcClient.class);
  /** Outbound bytes queued before a streamer must pause (backpressure). */
  private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(1 << 20, 4 << 20);

  /**
   * Where to connect and how.
   *
   * @param connectTimeout for the TCP connect and, separately, for the handshake (HELLO to WELCOME)
   * @param heartbeat the liveness check of a welcomed connection
   */
  public record Options(String agent, String token, Optional<SslContext> tls, int maxFrameBytes, Duration connectTimeout,
      Heartbeat heartbeat) {
    /** Plain TCP, 2 MiB frames, a 10 s connect timeout, {@link Heartbeat#DEFAULT}. */
    public static Options plain(String agent, String token) {
      return new Options(agent, token, Optional.empty(), Frames.DEFAULT_MAX_FRAME_BYTES, Duration.ofSeconds(10),
          Heartbeat.DEFAULT);
    }

    public Options withTls(SslContext ctx) {
      return new Options(agent, token, Optional.of(ctx), maxFrameBytes, connectTimeout, heartbeat);
    }

    public Options withMaxFrameBytes(int bytes) {
      return new Options(agent, token, tls, bytes, connectTimeout, heartbeat);
    }

    public Options withConnectTimeout(Duration timeout) {
      return new Options(agent, token, tls, maxFrameBytes, timeout, heartbeat);
    }

    public Options withHeartbeat(Heartbeat h) {
      return new Options(agent, token, tls, maxFrameBytes, connectTimeout, h);
    }
  }

  private final Channel channel;
  private final InetSocketAddress remote;
  private final Heartbeat heartbeat;
  private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicInteger nextRequestId = new AtomicInteger(1);
  private volatile PushHandler pushHandler = (session, r) -> ReferenceCountUtil.release(r);
  private volatile Consumer<Boolean> overdueListener = o -> { };
  private volatile Welcome welcome;
  /** Why the connection closed, as the first to know said (heartbeat, I/O error, our own close). */
  private volatile String closeReason;
  private volatile boolean overdue;
  // Heartbeat state, touched only on the event loop.
  private boolean pinging;
  private boolean heartbeatLost;
  private long lastFrameNanos = System.nanoTime();

  private sealed interface Pending permits Single, Streamed {}

  private record Single(CompletableFuture<Reply> future) implements Pending {}

  private record Streamed(ReplyStream stream) implements Pending {}

  private RpcClient(Channel channel, InetSocketAddress remote, Heartbeat heartbeat) {
    this.channel = channel;
    this.remote = remote;
    this.heartbeat = heartbeat;
  }

  /**
   * Connects, performs the handshake and returns once WELCOME arrived.
   *
   * @throws OutpostException UNAVAILABLE if the server cannot be reached; the server's error (UNAUTHORIZED,
   *     UNSUPPORTED_VERSION, ...) if it refuses the handshake
   */
  public static RpcClient connect(EventLoopGroup group, InetSocketAddress remote, Options options) {
    try {
      return connectAsync(group, remote, options).get(options.connectTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutpostException(ErrorCode.UNAVAILABLE, "interrupted while connecting to " + remote, e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, "timed out connecting to " + remote, e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw Errors.unwrap(e);
    }
  }

  /** Like {@link #connect} without blocking the caller. */
  public static CompletableFuture<RpcClient> connectAsync(EventLoopGroup group, InetSocketAddress remote, Options options) {
    CompletableFuture<RpcClient> result = new CompletableFuture<>();
    RpcClient[] holder = new RpcClient[1];
    Bootstrap b = new Bootstrap()
        .group(group)
        .channel(Transports.socketChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout().toMillis())
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            // First, so raw bytes count as heard (a large frame still arriving, TLS records).
            ch.pipeline().addLast("idle", new IdleStateHandler(false, options.heartbeat().timeoutMillis(),
                options.heartbeat().intervalMillis(), 0, TimeUnit.MILLISECONDS));
            options.tls().ifPresent(ctx -> ch.pipeline().addLast("tls",
                ctx.newHandler(ch.alloc(), remote.getHostString(), remote.getPort())));
            ch.pipeline().addLast("flush", new FlushConsolidationHandler(64, true));
            ch.pipeline().addLast("writability", new WritabilityWaiters());
            Frames.install(ch.pipeline(), options.maxFrameBytes());
            RpcClient client = new RpcClient(ch, remote, options.heartbeat());
            holder[0] = client;
            ch.pipeline().addLast("client", client.new Inbound());
          }
        });
    ChannelFuture cf = b.connect(remote);
    cf.addListener(f -> {
      if (!f.isSuccess()) {
        result.completeExceptionally(new OutpostException(ErrorCode.UNAVAILABLE,
            "cannot reach " + remote.getHostString() + ":" + remote.getPort() + ": " + f.cause().getMessage(), f.cause()));
        return;
      }
      RpcClient client = holder[0];
      long handshakeMillis = options.connectTimeout().toMillis();
      // Bounded: a server that accepts but never answers must not leave the caller (or a reconnecting link)
      // waiting for ever.
      client.call(0, new Hello(ProtocolVersion.MIN_SUPPORTED, ProtocolVersion.CURRENT, options.agent(), options.token()))
          .orTimeout(handshakeMillis, TimeUnit.MILLISECONDS)
          .whenComplete((reply, err) -> {
            if (err instanceof TimeoutException) {
              client.close();
              result.completeExceptionally(client.unavailable("no WELCOME within " + handshakeMillis + " ms"));
            } else if (err != null) {
              client.close();
              result.completeExceptionally(Errors.unwrap(err));
            } else if (reply instanceof Welcome w) {
              client.welcome = w;
              result.complete(client);
            } else {
              ReferenceCountUtil.release(reply);
              client.close();
              result.completeExceptionally(new OutpostException(ErrorCode.PROTOCOL_VIOLATION,
                  "expected WELCOME, got " + reply.getClass().getSimpleName()));
            }
          });
    });
    return result;
  }

  /** The server's WELCOME: negotiated version, volume, journal position. */
  public Welcome welcome() {
    return welcome;
  }

  public InetSocketAddress remoteAddress() {
    return remote;
  }

  /** Sends a request on the connection's own session; the future fails with the server's typed error. */
  public CompletableFuture<Reply> call(Request request) {
    return call(0, request);
  }

  /** Sends a request on {@code session}; a single-frame answer is expected. */
  public CompletableFuture<Reply> call(int session, Request request) {
    CompletableFuture<Reply> f = new CompletableFuture<>();
    send(session, request, new Single(f));
    return f;
  }

  /**
   * Sends a request whose answer is streamed (several frames).
   *
   * @return the request id, which identifies the stream (e.g. for UNSUBSCRIBE)
   */
  public int stream(int session, Request request, ReplyStream stream) {
    return send(session, request, new Streamed(stream));
  }

  /** Opens a session for another party's token (a proxy carrying a client). */
  public CompletableFuture<Integer> attach(String token) {
    return call(0, new Attach(token)).thenApply(r -> {
      if (r instanceof Attached a) {
        return a.session();
      }
      ReferenceCountUtil.release(r);
      throw new OutpostException(ErrorCode.PROTOCOL_VIOLATION, "expected ATTACHED");
    });
  }

  /** Receives server pushes: unsolicited replies with request id 0, such as LEASE_RECALL. */
  @FunctionalInterface
  public interface PushHandler {
    /**
     * Called on the connection's event loop, in arrival order: do not block in it.
     *
     * @param session the session the push is addressed to (0, or one opened with {@link #attach}), so a proxy
     *     can route it to the client that session acts for
     * @param reply the push; the handler owns it (release one holding a buffer)
     */
    void onPush(int session, Reply reply);
  }

  /** Sets who receives server pushes (replacing the previous handler); unhandled pushes are released. */
  public void onPush(PushHandler handler) {
    this.pushHandler = handler;
  }

  /** {@link #onPush(PushHandler)} for a connection with one session, where the session does not matter. */
  public void onPush(Consumer<Reply> handler) {
    this.pushHandler = (session, reply) -> handler.accept(reply);
  }

  /** False while the outbound buffer is above its high-water mark. */
  public boolean isWritable() {
    return channel.isWritable();
  }

  /** Runs {@code task} on the event loop once the connection is writable (or closed). */
  public void whenWritable(Runnable task) {
    WritabilityWaiters.of(channel).add(task);
  }

  public boolean isOpen() {
    return channel.isActive();
  }

  /**
   * True while a heartbeat PING has gone unanswered for an interval and nothing else was heard meanwhile: the
   * server may be gone, and the connection is closed if it stays silent for the heartbeat timeout.
   */
  public boolean isOverdue() {
    return overdue;
  }

  /**
   * Sets who learns when the connection becomes {@link #isOverdue() overdue} ({@code true}) and when the server
   * is heard from again ({@code false}); replaces the previous listener. Called on the event loop: do not block.
   */
  public void onOverdue(Consumer<Boolean> listener) {
    this.overdueListener = listener;
  }

  /**
   * Why the connection closed ("no answer for 6000 ms (heartbeat timeout)", "Connection reset by peer", "closed
   * by the server", "closed"), or empty while it is open.
   */
  public Optional<String> closeReason() {
    String r = closeReason;
    return r != null ? Optional.of(r) : channel.isActive() ? Optional.empty() : Optional.of("closed by the server");
  }

  /** Completes when the connection closes, for whatever reason. */
  public CompletableFuture<Void> closed() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    channel.closeFuture().addListener(x -> f.complete(null));
    return f;
  }

  /** Requests in flight (not yet fully answered). */
  public int inFlight() {
    return pending.size();
  }

  /**
   * Fails every request of this connection still waiting for its answer — streams included — with {@code cause},
   * now; the connection stays open and answers that come later are dropped. For a caller that must stop waiting
   * (a mount being stopped while the server does not answer). Warning: the server may still carry out what was
   * sent.
   */
  public void failPending(OutpostException cause) {
    for (Integer id : pending.keySet()) {
      fail(id, cause);
    }
  }

  @Override
  public void close() {
    closing("closed");
    channel.close();
  }

  /** Records the first reason given for the close; true if it was this one. */
  private boolean closing(String reason) {
    if (closeReason == null && channel.isActive()) {
      closeReason = reason;
      return true;
    }
    return false;
  }

  /** A PING on the connection's own session, unless one is unanswered already (event loop only). */
  private void ping() {
    if (pinging || !channel.isActive()) {
      return;
    }
    pinging = true;
    long sentNanos = System.nanoTime();
    call(0, new Ping(sentNanos)).whenComplete((reply, err) -> {
      ReferenceCountUtil.release(reply);
      pinging = false; // answered or lost, on the event loop either way
    });
    channel.eventLoop().schedule(() -> {
      boolean heardSince = lastFrameNanos - sentNanos > 0;
      if (pinging && !heardSince && channel.isActive() && !overdue) {
        overdue = true;
        log.debug("no answer from {} to a heartbeat within {} ms", remote, heartbeat.intervalMillis());
        notifyOverdue(true);
      }
    }, heartbeat.intervalMillis(), TimeUnit.MILLISECONDS);
  }

  private void notifyOverdue(boolean now) {
    try {
      overdueListener.accept(now);
    } catch (RuntimeException e) {
      log.warn("overdue listener failed for {}", remote, e);
    }
  }

  private int send(int session, Request request, Pending p) {
    int id = nextId();
    pending.put(id, p);
    if (!channel.isActive()) {
      ReferenceCountUtil.release(request);
      fail(id, lost("connection closed", false));
      return id;
    }
    channel.writeAndFlush(new Frame(id, session, 0, request)).addListener(f -> {
      if (!f.isSuccess()) {
        // Part of the frame may have left (TLS records, partial writes): it may have been applied.
        fail(id, lost("write failed: " + f.cause().getMessage(), true));
      }
    });
    return id;
  }

  private int nextId() {
    while (true) {
      int id = nextRequestId.getAndIncrement() & 0x7fffffff;
      if (id != 0 && !pending.containsKey(id)) {
        return id;
      }
    }
  }

  private OutpostException unavailable(String why) {
    return new OutpostException(ErrorCode.UNAVAILABLE, remote.getHostString() + ":" + remote.getPort() + ": " + why);
  }

  private ConnectionLostException lost(String why, boolean sent) {
    return new ConnectionLostException(remote.getHostString() + ":" + remote.getPort() + ": " + why, sent);
  }

  private void fail(int id, OutpostException e) {
    Pending p = pending.remove(id);
    if (p instanceof Single s) {
      s.future().completeExceptionally(e);
    } else if (p instanceof Streamed st) {
      st.stream().onError(e);
    }
  }

  private final class Inbound extends SimpleChannelInboundHandler<Frame> {
    Inbound() {
      super(Frame.class, false);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
      lastFrameNanos = System.nanoTime();
      if (overdue) {
        overdue = false;
        log.debug("{} is heard from again", remote);
        notifyOverdue(false);
      }
      if (!(frame.message() instanceof Reply reply)) {
        ReferenceCountUtil.release(frame.message());
        log.warn("server {} sent a request; closing", remote);
        ctx.close();
        return;
      }
      int id = frame.requestId();
      if (id == 0) {
        try {
          pushHandler.onPush(frame.session(), reply);
        } catch (RuntimeException e) {
          log.warn("push handler failed for a push from {}", remote, e);
        }
        return;
      }
      Pending p = frame.more() ? pending.get(id) : pending.remove(id);
      switch (p) {
        case null -> {
          ReferenceCountUtil.release(reply);
          log.debug("reply for unknown request {} from {}", id, remote);
        }
        case Single s -> {
          if (frame.more()) {
            pending.remove(id);
            ReferenceCountUtil.release(reply);
            s.future().completeExceptionally(new OutpostException(ErrorCode.PROTOCOL_VIOLATION,
                "streamed answer to a single-answer request"));
          } else if (reply instanceof ErrorReply e) {
            s.future().completeExceptionally(Errors.fromReply(e));
          } else {
            s.future().complete(reply);
          }
        }
        case Streamed st -> {
          if (reply instanceof ErrorReply e) {
            pending.remove(id);
            st.stream().onError(Errors.fromReply(e));
          } else {
            st.stream().onReply(reply, !frame.more());
          }
        }
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (!(evt instanceof IdleStateEvent idle)) {
        ctx.fireUserEventTriggered(evt);
        return;
      }
      if (welcome == null) {
        return; // the handshake has its own timeout, and a PING before HELLO would be refused
      }
      if (idle.state() == IdleState.WRITER_IDLE) {
        ping();
      } else if (idle.state() == IdleState.READER_IDLE) {
        String why = "no answer for " + heartbeat.timeoutMillis() + " ms (heartbeat timeout)";
        log.debug("{}: {}; closing", remote, why);
        heartbeatLost = closing(why);
        ctx.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      // The heartbeat's verdict is worth passing on; other closes read as before ("connection closed").
      String why = heartbeatLost ? "connection lost: " + closeReason : "connection closed";
      for (Integer id : pending.keySet()) {
        fail(id, lost(why, true));
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("connection to {} failed: {}", remote, cause.toString());
      closing(cause.getMessage() != null ? cause.getMessage() : cause.toString());
      ctx.close();
    }
  }
}
