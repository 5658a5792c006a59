package dev.outpost.origin.server;

import static dev.outpost.origin.server.OriginFixture.block;
import static dev.outpost.origin.server.OriginFixture.call;
import static dev.outpost.origin.server.OriginFixture.upload;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken.Mode;
import dev.outpost.origin.server.OriginFixture.TestBlock;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.LeaseAcquire;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.protocol.LeaseRecall;
import dev.outpost.protocol.LeaseRelease;
import dev.outpost.protocol.LeaseRenew;
import dev.outpost.protocol.Leases;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Resync;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.SubscribeAck;
import dev.outpost.protocol.Unsubscribe;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseAndFeedTest {
  @TempDir
  Path tmp;
  OriginFixture origin;
  final Random random = new Random(7);

  @AfterEach
  void stop() {
    if (origin != null) {
      origin.close();
    }
  }

  private static OutpostException error(Runnable r) {
    try {
      r.run();
    } catch (OutpostException e) {
      return e;
    }
    throw new AssertionError("no error");
  }

  private RpcClient client(String subject) {
    return origin.connect(origin.token(Mode.RW, subject, Duration.ofDays(1)));
  }

  @Test
  void anExclusiveLeaseRefusesOthersAndRecallsItsHolder() throws Exception {
    origin = OriginFixture.start(tmp);
    RpcClient alice = client("alice");
    RpcClient bob = client("bob");
    CompletableFuture<Reply> pushed = new CompletableFuture<>();
    alice.onPush(pushed::complete);
    LeaseGrant grant = (LeaseGrant) call(alice, new LeaseAcquire("/projects", LeaseMode.EXCLUSIVE, true, 60_000));
    assertThat(grant.token()).isPositive();
    OutpostException e = error(() -> call(bob, new LeaseAcquire("/projects/plan.txt", LeaseMode.SHARED, false, 60_000)));
    assertThat(e.code()).isEqualTo(ErrorCode.LEASE_CONFLICT);
    assertThat(e.getMessage()).contains("alice").contains("until");
    assertThat(pushed.get(10, TimeUnit.SECONDS)).isEqualTo(new LeaseRecall("/projects", grant.token()));
    // A write without the lease is refused while alice holds it; alice herself may write.
    assertThat(error(() -> call(bob, new Mkdir("/projects/x", 0755))).code()).isEqualTo(ErrorCode.LEASE_CONFLICT);
    call(alice, new Mkdir("/projects", 0755));
    // After release bob gets it.
    assertThat(call(alice, new LeaseRelease("/projects", grant.token()))).isInstanceOf(Ok.class);
    LeaseGrant bobs = (LeaseGrant) call(bob, new LeaseAcquire("/projects/plan.txt", LeaseMode.SHARED, false, 60_000));
    assertThat(bobs.token()).isGreaterThan(grant.token());
    assertThat(error(() -> call(alice, new LeaseRelease("/projects", grant.token()))).code()).isEqualTo(ErrorCode.FENCED);
    assertThat(error(() -> call(bob, new LeaseRenew("/projects/plan.txt", grant.token(), 1000))).code())
        .isEqualTo(ErrorCode.FENCED);
    LeaseGrant renewed = (LeaseGrant) call(bob, new LeaseRenew("/projects/plan.txt", bobs.token(), 120_000));
    assertThat(renewed.expiresAtMillis()).isGreaterThan(bobs.expiresAtMillis());
  }

  @Test
  void leaseListShowsTheLiveLeasesOverlappingAPathPagedInTokenOrder() {
    origin = OriginFixture.start(tmp);
    RpcClient alice = client("alice");
    RpcClient bob = client("bob");
    RpcClient reader = origin.connect(origin.token(Mode.RO, "rita", Duration.ofDays(1)));
    LeaseGrant tree = (LeaseGrant) call(alice, new LeaseAcquire("/p", LeaseMode.SHARED, true, 60_000));
    LeaseGrant file = (LeaseGrant) call(bob, new LeaseAcquire("/p/a", LeaseMode.SHARED, false, 60_000));
    LeaseGrant other = (LeaseGrant) call(bob, new LeaseAcquire("/q", LeaseMode.EXCLUSIVE, false, 60_000));
    LeaseGrant lapsing = (LeaseGrant) call(client("carol"), new LeaseAcquire("/r", LeaseMode.EXCLUSIVE, false,
        1_000));
    // bob asks for carol's file: refused, and her lease shows as recalled.
    assertThat(error(() -> call(bob, new LeaseAcquire("/r", LeaseMode.SHARED, false, 60_000))).code())
        .isEqualTo(ErrorCode.LEASE_CONFLICT);

    Leases all = (Leases) call(reader, new LeaseList("/", 0, LeaseList.MAX_ENTRIES));
    assertThat(all.leases()).extracting(LeaseInfo::token)
        .containsExactly(tree.token(), file.token(), other.token(), lapsing.token());
    assertThat(all.more()).isFalse();
    assertThat(all.staleSinceMillis()).isZero();
    assertThat(all.leases().getFirst()).isEqualTo(new LeaseInfo("/p", LeaseMode.SHARED, true, tree.token(), "alice",
        tree.expiresAtMillis(), false));
    assertThat(all.leases().getLast().recalled()).isTrue();

    // /p/a: its own lease and the subtree lease above it, not /q nor /r.
    assertThat(((Leases) call(reader, new LeaseList("/p/a", 0, 10))).leases()).extracting(LeaseInfo::token)
        .containsExactly(tree.token(), file.token());
    // Pages of one.
    Leases first = (Leases) call(reader, new LeaseList("/p", 0, 1));
    assertThat(first.more()).isTrue();
    Leases second = (Leases) call(reader, new LeaseList("/p", first.leases().getLast().token(), 1));
    assertThat(second.leases()).extracting(LeaseInfo::token).containsExactly(file.token());

    // An expired lease is not listed, a released one neither.
    origin.clock.advance(Duration.ofSeconds(2));
    call(bob, new LeaseRelease("/q", other.token()));
    assertThat(((Leases) call(reader, new LeaseList("/", 0, 10))).leases()).extracting(LeaseInfo::token)
        .containsExactly(tree.token(), file.token());
  }

  @Test
  void aWriterWhoseLeaseExpiredAndWasTakenOverIsFenced() {
    origin = OriginFixture.start(tmp);
    RpcClient alice = client("alice");
    RpcClient bob = client("bob");
    RpcClient carol = client("carol");
    TestBlock b1 = block(random, 100);
    TestBlock b2 = block(random, 200);
    upload(alice, b1);
    upload(alice, b2);
    LeaseGrant a = (LeaseGrant) call(alice, new LeaseAcquire("/f", LeaseMode.EXCLUSIVE, false, 30_000));
    FileAttr v1 = ((AttrReply) call(alice, new Commit("/f", 0, 0, Optional.of(b1.root()), 100, 1, a.token()))).attr();
    // Alice is partitioned away; her lease lapses and bob takes it over.
    origin.clock.advance(Duration.ofSeconds(31));
    LeaseGrant b = (LeaseGrant) call(bob, new LeaseAcquire("/f", LeaseMode.EXCLUSIVE, false, 30_000));
    assertThat(b.token()).isGreaterThan(a.token());
    OutpostException late = error(() -> call(alice,
        new Commit("/f", v1.inode(), v1.version(), Optional.of(b2.root()), 200, 2, a.token())));
    assertThat(late.code()).isEqualTo(ErrorCode.FENCED);
    assertThat(late.getMessage()).isEqualTo("lease token " + a.token() + " is not current (current " + b.token() + ")");
    assertThat(error(() -> call(carol, new Commit("/f", v1.inode(), v1.version(), Optional.of(b2.root()), 200, 2, 0)))
        .code()).isEqualTo(ErrorCode.LEASE_CONFLICT);
    FileAttr v2 = ((AttrReply) call(bob, new Commit("/f", v1.inode(), v1.version(), Optional.of(b2.root()), 200, 3, b.token()))).attr();
    assertThat(v2.root()).contains(b2.root());
    assertThat(((AttrReply) call(alice, new dev.outpost.protocol.GetAttr("", "/f"))).attr().version()).isEqualTo(v2.version());
  }

  @Test
  void leaseTokensKeepGrowingAcrossARestart() {
    origin = OriginFixture.start(tmp);
    long first = ((LeaseGrant) call(client("a"), new LeaseAcquire("/a", LeaseMode.EXCLUSIVE, false, 1000))).token();
    origin.restart();
    long second = ((LeaseGrant) call(client("a"), new LeaseAcquire("/a", LeaseMode.EXCLUSIVE, false, 1000))).token();
    assertThat(second).isGreaterThan(first);
  }

  /** Collects a subscription's frames. */
  static final class Collector implements ReplyStream {
    final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> ended = new CompletableFuture<>();

    @Override
    public void onReply(Reply reply, boolean last) {
      replies.add(reply);
      if (last) {
        ended.complete(null);
      }
    }

    @Override
    public void onError(OutpostException error) {
      ended.completeExceptionally(error);
    }

    Reply next() throws InterruptedException {
      Reply r = replies.poll(10, TimeUnit.SECONDS);
      assertThat(r).as("a frame within 10 s").isNotNull();
      return r;
    }

    List<ChangeEvent> events(int n) throws InterruptedException {
      List<ChangeEvent> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        out.add((ChangeEvent) next());
      }
      return out;
    }
  }

  @Test
  void aSubscriberResumesFromItsSequenceAndGetsExactlyTheMissedEvents() throws Exception {
    origin = OriginFixture.start(tmp);
    RpcClient w = client("writer");
    RpcClient r = origin.connect(Mode.RO);
    Collector live = new Collector();
    int id = r.stream(0, new Subscribe(0, "/"), live);
    long start = ((SubscribeAck) live.next()).currentSeq();
    call(w, new Mkdir("/a", 0755));
    call(w, new Mkdir("/b", 0755));
    List<ChangeEvent> seen = live.events(2);
    assertThat(seen).extracting(ChangeEvent::path).containsExactly("/a", "/b");
    assertThat(seen).extracting(ChangeEvent::kind).containsOnly(ChangeKind.CREATED);
    assertThat(call(r, new Unsubscribe(id))).isInstanceOf(Ok.class);
    live.ended.get(10, TimeUnit.SECONDS);
    long resumeFrom = seen.getLast().seq();
    for (int i = 0; i < 5; i++) {
      call(w, new Mkdir("/c" + i, 0755));
    }
    call(w, new Mkdir("/a/inner", 0755));
    Collector resumed = new Collector();
    r.stream(0, new Subscribe(resumeFrom, "/"), resumed);
    assertThat(resumed.next()).isInstanceOf(SubscribeAck.class);
    List<ChangeEvent> missed = resumed.events(6);
    assertThat(missed).extracting(ChangeEvent::path).containsExactly("/c0", "/c1", "/c2", "/c3", "/c4", "/a/inner");
    assertThat(missed.getFirst().seq()).isGreaterThan(resumeFrom);
    for (int i = 1; i < missed.size(); i++) {
      assertThat(missed.get(i).seq()).isGreaterThan(missed.get(i - 1).seq());
    }
    // A prefix subscription only sees its subtree, replayed then live.
    Collector narrow = new Collector();
    r.stream(0, new Subscribe(start, "/a"), narrow);
    assertThat(narrow.next()).isInstanceOf(SubscribeAck.class);
    call(w, new Mkdir("/a/later", 0755));
    assertThat(narrow.events(3)).extracting(ChangeEvent::path).containsExactly("/a", "/a/inner", "/a/later");
    assertThat(origin.server.feed().size()).isEqualTo(2);
    r.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (origin.server.feed().size() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(origin.server.feed().size()).isZero();
  }

  @Test
  void aSubscriberOlderThanTheJournalGetsResync() throws Exception {
    origin = OriginFixture.start(tmp, "journal:\n  retainEvents: 3\n", false);
    RpcClient w = client("writer");
    for (int i = 0; i < 10; i++) {
      call(w, new Mkdir("/d" + i, 0755));
    }
    long current = w.welcome().journalSeq();
    RpcClient r = origin.connect(Mode.RO);
    Collector c = new Collector();
    r.stream(0, new Subscribe(1, "/"), c);
    Reply first = c.next();
    assertThat(first).isInstanceOf(Resync.class);
    assertThat(((Resync) first).currentSeq()).isGreaterThanOrEqualTo(current).isEqualTo(origin.server.volume().currentSeq());
    call(w, new Mkdir("/after", 0755));
    assertThat(c.events(1)).extracting(ChangeEvent::path).containsExactly("/after");
    // Within retention: no resync.
    Collector recent = new Collector();
    r.stream(0, new Subscribe(origin.server.volume().currentSeq() - 2, "/"), recent);
    assertThat(recent.next()).isInstanceOf(SubscribeAck.class);
    assertThat(recent.events(2)).extracting(ChangeEvent::path).containsExactly("/d9", "/after");
  }
}
