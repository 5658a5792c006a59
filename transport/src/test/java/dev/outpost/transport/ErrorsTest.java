package dev.outpost.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Welcome;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Errors on their way to the wire: a foreign exception's message (an IOException's names the server's files) never
 * reaches a client, its kind does, and a full disk is NO_SPACE whoever reports it.
 */
@Timeout(60)
class ErrorsTest {
  private static final String SERVER_PATH = "/srv/outpost/data/volume/data.mdb";

  @Test
  void aForeignFailureReachesTheWireWithoutTheServersPaths() {
    ErrorReply r = Errors.toReply(new NoSuchFileException(SERVER_PATH));
    assertThat(r.code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(r.message()).contains("NoSuchFileException").doesNotContain("/srv");

    ErrorReply wrapped = Errors.toReply(new CompletionException(new IllegalStateException("cannot read " + SERVER_PATH)));
    assertThat(wrapped.code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(wrapped.message()).contains("IllegalStateException").doesNotContain("/srv");
  }

  @Test
  void aFullDiskIsNoSpaceEvenFromAForeignException() {
    ErrorReply fs = Errors.toReply(new FileSystemException(SERVER_PATH, null, "No space left on device"));
    assertThat(fs.code()).isEqualTo(ErrorCode.NO_SPACE);
    assertThat(fs.message()).contains("No space left on device").doesNotContain("/srv");

    ErrorReply io = Errors.toReply(new UncheckedIOException(new IOException("No space left on device")));
    assertThat(io.code()).isEqualTo(ErrorCode.NO_SPACE);
  }

  @Test
  void ourOwnMessagesGoAsTheyAre() {
    ErrorReply r = Errors.toReply(new OutpostException(ErrorCode.NOT_FOUND, "no such file: /docs/a.txt"));
    assertThat(r.code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(r.message()).isEqualTo("no such file: /docs/a.txt");
  }

  @Test
  void aServerFailingWithAnIoExceptionTellsTheClientItsKindNotItsPath() throws Exception {
    EventLoopGroup group = Transports.newGroup("errors-test", 1);
    RequestService failing = new RequestService() {
      @Override
      public Welcome welcome(int version) {
        return new Welcome(version, "test", "vol", 0, 0);
      }

      @Override
      public void handle(ServerCall call, Request request) {
        GetAttr g = (GetAttr) request;
        if (g.path().equals("/sync")) {
          throw new UncheckedIOException(new NoSuchFileException(SERVER_PATH));
        }
        call.fail(new FileSystemException(SERVER_PATH, null, "No space left on device"));
      }
    };
    try (RpcServer s = RpcServer.start(new InetSocketAddress("127.0.0.1", 0), java.util.Optional.empty(),
        Frames.DEFAULT_MAX_FRAME_BYTES, group, failing,
        token -> new Principal("t", Principal.Access.WRITE, Instant.parse("2100-01-01T00:00:00Z")), Clock.systemUTC());
        RpcClient c = RpcClient.connect(group, s.address(), RpcClient.Options.plain("errors-test", "token"))) {
      assertThatThrownBy(() -> c.call(new GetAttr("", "/sync")).join())
          .satisfies(e -> {
            OutpostException oe = Errors.unwrap(e);
            assertThat(oe.code()).isEqualTo(ErrorCode.INTERNAL);
            assertThat(oe.getMessage()).contains("NoSuchFileException").doesNotContain("/srv");
          });
      assertThatThrownBy(() -> c.call(new GetAttr("", "/async")).join())
          .satisfies(e -> {
            OutpostException oe = Errors.unwrap(e);
            assertThat(oe.code()).isEqualTo(ErrorCode.NO_SPACE);
            assertThat(oe.getMessage()).contains("No space left on device").doesNotContain("/srv");
          });
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
