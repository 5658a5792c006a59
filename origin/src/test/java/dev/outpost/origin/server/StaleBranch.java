package dev.outpost.origin.server;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.volume.Volume;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.LinkTarget;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.ReadLink;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Welcome;
import dev.outpost.transport.Errors;
import dev.outpost.transport.Principal;
import dev.outpost.transport.RequestService;
import dev.outpost.transport.RpcServer;
import dev.outpost.transport.ServerCall;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Answers as a branch proxy cut off from its origin does (ADR 0004, "Offline reads"): GETATTR, READDIR and
 * READLINK from what it knows — here read from a real volume — flagged stale since the cut, everything else
 * OFFLINE. For testing what clients show of staleness until the proxy's offline reads exist. Any token is
 * accepted for reading.
 */
public final class StaleBranch implements AutoCloseable {
  private final EventLoopGroup group = Transports.newGroup("stale-branch", 1);
  private final ExecutorService readers = Executors.newSingleThreadExecutor(
      Thread.ofPlatform().name("stale-branch-reader").daemon().factory());
  private final RpcServer server;

  private StaleBranch(Volume volume, long staleSinceMillis, Clock clock) {
    RequestService service = new RequestService() {
      @Override
      public Welcome welcome(int version) {
        return new Welcome(version, "stale-branch", volume.identity().name(), volume.currentSeq(), clock.millis());
      }

      @Override
      public void handle(ServerCall call, Request request) {
        switch (request) {
          case GetAttr r -> read(call, () -> new AttrReply(volume.getAttr(r.snapshot(), r.path()), staleSinceMillis));
          case ReadDir r -> read(call, () -> {
            DirPage page = volume.readDir(r.snapshot(), r.path(), r.startAfter(), r.maxEntries());
            return new DirPage(page.entries(), page.more(), staleSinceMillis);
          });
          case ReadLink r -> read(call, () -> new LinkTarget(volume.readLink(r.snapshot(), r.path()), staleSinceMillis));
          default -> {
            ReferenceCountUtil.release(request);
            call.fail(new OutpostException(ErrorCode.OFFLINE, "offline: the branch is cut off from the origin"));
          }
        }
      }

      private void read(ServerCall call, java.util.function.Supplier<dev.outpost.protocol.Reply> answer) {
        readers.execute(() -> {
          try {
            call.reply(answer.get());
          } catch (RuntimeException e) {
            call.fail(Errors.unwrap(e));
          }
        });
      }
    };
    this.server = RpcServer.start(new InetSocketAddress("127.0.0.1", 0), Optional.empty(),
        dev.outpost.protocol.Frames.DEFAULT_MAX_FRAME_BYTES, group, service,
        token -> new Principal("offline", Principal.Access.READ, Instant.MAX), clock);
  }

  /** Serves {@code volume}'s attributes as stale since {@code staleSinceMillis} on an ephemeral port. */
  public static StaleBranch start(Volume volume, long staleSinceMillis) {
    return new StaleBranch(volume, staleSinceMillis, Clock.systemUTC());
  }

  /** "127.0.0.1:PORT". */
  public String address() {
    return "127.0.0.1:" + server.port();
  }

  @Override
  public void close() {
    server.close();
    readers.shutdownNow();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
