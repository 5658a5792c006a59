package dev.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.crypto.AccessToken;
import dev.outpost.protocol.LeaseAcquire;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.protocol.LeaseRecall;
import dev.outpost.protocol.Reply;
import dev.outpost.transport.Errors;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The origin's LEASE_RECALL reaches the client session holding the lease through the proxy. */
class LeaseRecallTest {
  @TempDir
  Path dir;

  private record Pushed(int session, Reply push) {}

  @Test
  void aRecallReachesTheClientSessionHoldingTheLease() throws Exception {
    EventLoopGroup group = Transports.newGroup("test-lease", 1);
    try (ProxyFixture f = ProxyFixture.start(dir)) {
      RpcClient holders = RpcClient.connect(group, f.proxy.address(),
          RpcClient.Options.plain("holders", f.token(AccessToken.Mode.RW, "holders")));
      RpcClient bob = RpcClient.connect(group, f.proxy.address(),
          RpcClient.Options.plain("bob", f.token(AccessToken.Mode.RW, "bob")));
      try (holders; bob) {
        // Two clients multiplexed on one connection to the proxy, each in its own attached session.
        int alice = holders.attach(f.token(AccessToken.Mode.RW, "alice")).join();
        int carol = holders.attach(f.token(AccessToken.Mode.RW, "carol")).join();
        LinkedBlockingQueue<Pushed> pushes = new LinkedBlockingQueue<>();
        holders.onPush((session, push) -> pushes.add(new Pushed(session, push)));

        LeaseGrant aliceLease = (LeaseGrant) holders.call(alice,
            new LeaseAcquire("/projects", LeaseMode.EXCLUSIVE, true, 60_000)).get(10, TimeUnit.SECONDS);
        LeaseGrant carolLease = (LeaseGrant) holders.call(carol,
            new LeaseAcquire("/elsewhere", LeaseMode.EXCLUSIVE, false, 60_000)).get(10, TimeUnit.SECONDS);

        assertThatThrownBy(() -> bob.call(new LeaseAcquire("/projects/plan.txt", LeaseMode.SHARED, false, 60_000)).join())
            .satisfies(e -> assertThat(Errors.unwrap(e).code()).isEqualTo(ErrorCode.LEASE_CONFLICT));
        Pushed first = pushes.poll(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> bob.call(new LeaseAcquire("/elsewhere", LeaseMode.EXCLUSIVE, false, 60_000)).join())
            .satisfies(e -> assertThat(Errors.unwrap(e).code()).isEqualTo(ErrorCode.LEASE_CONFLICT));
        Pushed second = pushes.poll(10, TimeUnit.SECONDS);

        assertThat(first).isEqualTo(new Pushed(alice, new LeaseRecall("/projects", aliceLease.token())));
        assertThat(second).isEqualTo(new Pushed(carol, new LeaseRecall("/elsewhere", carolLease.token())));
        List<Pushed> rest = new ArrayList<>();
        pushes.drainTo(rest);
        assertThat(rest).as("no recall for anyone else").isEmpty();
        rest.forEach(p -> ReferenceCountUtil.release(p.push()));
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
