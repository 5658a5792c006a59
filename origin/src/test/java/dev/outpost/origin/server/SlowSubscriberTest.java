package dev.outpost.origin.server;

import static dev.outpost.origin.server.OriginFixture.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.AccessToken.Mode;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.SubscribeAck;
import dev.outpost.protocol.Welcome;
import dev.outpost.transport.RpcClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A subscriber that stops reading neither stalls writers nor loses events: it catches up from the journal. */
class SlowSubscriberTest {
  @TempDir
  Path tmp;

  @Test
  void aStalledSubscriberOverflowsItsQueueThenCatchesUpFromTheJournalWithoutGapsOrRepeats() throws Exception {
    try (OriginFixture origin = OriginFixture.start(tmp, "journal:\n  subscriberQueueEvents: 16\n", false)) {
      RpcClient w = origin.connect(Mode.RW);
      // Long paths make each event ~4 KiB, so a few thousand fill the socket and the server's outbound buffer.
      StringBuilder dir = new StringBuilder();
      for (int i = 0; i < 15; i++) {
        dir.append('/').append(String.valueOf((char) ('a' + i)).repeat(250));
        call(w, new Mkdir(dir.toString(), 0755));
      }
      String token = origin.token(Mode.RO, "slow", Duration.ofHours(1));
      OriginMetrics metrics = origin.server.metrics();
      int files = 2500;
      try (Socket s = new Socket()) {
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", origin.address().getPort()));
        s.setSoTimeout(30_000);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(encode(Frame.of(1, dev.outpost.protocol.ProtocolVersion.hello("slow", token))));
        assertThat(read(in).message()).isInstanceOf(Welcome.class);
        long from = origin.server.volume().currentSeq();
        out.write(encode(Frame.of(2, new Subscribe(from, "/"))));
        assertThat(read(in).message()).isInstanceOf(SubscribeAck.class);
        // The subscriber reads nothing now; writers must still finish.
        List<CompletableFuture<Reply>> creates = new ArrayList<>();
        for (int i = 0; i < files; i++) {
          creates.add(w.call(new Create(dir + "/f" + i, 0644, true)));
        }
        for (CompletableFuture<Reply> f : creates) {
          f.get(60, TimeUnit.SECONDS);
        }
        assertThat(metrics.count(OriginMetrics.SUBSCRIBER_OVERFLOWS)).isPositive();
        assertThat(metrics.count(OriginMetrics.SUBSCRIBER_MAX_LAG)).isPositive();
        long expected = from;
        for (int i = 0; i < files; i++) {
          Frame f = read(in);
          assertThat(f.requestId()).isEqualTo(2);
          ChangeEvent e = (ChangeEvent) f.message();
          assertThat(e.seq()).isEqualTo(++expected);
          assertThat(e.path()).isEqualTo(dir + "/f" + i);
        }
      }
    }
  }

  private static byte[] encode(Frame f) {
    ByteBuf buf = Frames.encode(f, ByteBufAllocator.DEFAULT);
    try {
      return ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  private static Frame read(DataInputStream in) throws java.io.IOException {
    int length = in.readInt();
    assertThat(length).isBetween(1, 1 << 20);
    byte[] body = new byte[length];
    in.readFully(body);
    return Frames.decode(Unpooled.wrappedBuffer(body));
  }
}
