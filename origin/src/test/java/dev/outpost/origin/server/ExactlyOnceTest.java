package dev.outpost.origin.server;

import static dev.outpost.origin.server.OriginFixture.block;
import static dev.outpost.origin.server.OriginFixture.call;
import static dev.outpost.origin.server.OriginFixture.upload;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken.Mode;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.origin.server.OriginFixture.TestBlock;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.LeaseAcquire;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.ReserveInodes;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.transport.RpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutations sent again with the same operation id over the wire, as a client or proxy resends one whose answer
 * a lost connection took: applied once, answered with the first reply; and lease tokens on namespace changes.
 */
class ExactlyOnceTest {
  private static final long ORIGINATOR = 0x5eed_0001_0002_0003L;

  @TempDir
  Path tmp;
  OriginFixture origin;
  final Random random = new Random(12);

  @BeforeEach
  void start() {
    origin = OriginFixture.start(tmp);
  }

  @AfterEach
  void stop() {
    origin.close();
  }

  private static OperationId op(long seq) {
    return new OperationId(ORIGINATOR, seq);
  }

  private static FileAttr attr(Reply r) {
    assertThat(r).isInstanceOf(AttrReply.class);
    return ((AttrReply) r).attr();
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

  /** The journal entries after {@code seq}, read from the volume itself. */
  private List<ChangeEvent> eventsAfter(long seq) {
    return origin.server.volume().journalAfter(seq, "/", 1000);
  }

  @Test
  void aResentCommitIsAppliedOnceAndAnsweredWithTheFirstReplyEvenAfterTheFileChangedAgain() {
    RpcClient c = origin.connect(Mode.RW);
    TestBlock b = block(random, 600);
    upload(c, b);
    long seqBefore = origin.server.volume().currentSeq();
    Commit commit = new Commit("/f", 0, 0, Optional.of(b.root()), 600, 1000, 0, op(1));
    FileAttr first = attr(call(c, commit));

    // The answer was lost with the connection: the sender resends the same operation on a new one.
    RpcClient again = origin.connect(Mode.RW);
    assertThat(attr(call(again, commit))).isEqualTo(first);
    assertThat(attr(call(again, new GetAttr("", "/f"))).version()).isEqualTo(first.version());
    assertThat(eventsAfter(seqBefore)).hasSize(1);

    FileAttr changed = attr(call(c, new Commit("/f", first.inode(), first.version(), Optional.empty(), 0, 2000, 0,
        op(2))));
    assertThat(changed.version()).isEqualTo(first.version() + 1);
    assertThat(attr(call(again, commit))).as("still the first reply").isEqualTo(first);
    assertThat(attr(call(again, new GetAttr("", "/f")))).isEqualTo(changed);
    assertThat(eventsAfter(seqBefore)).hasSize(2);
    assertThat(origin.server.metrics().count(OriginMetrics.DUPLICATES)).isEqualTo(2);
  }

  @Test
  void resentNamespaceChangesAreAppliedOnceEach() {
    RpcClient c = origin.connect(Mode.RW);
    long seqBefore = origin.server.volume().currentSeq();
    List<dev.outpost.protocol.Mutation> ops = List.of(
        new Mkdir("/d", 0755, 0, op(1)),
        new Create("/d/a", 0644, true, 0, op(2)),
        new Symlink("/d/l", "a", 0, op(3)),
        new SetAttr("/d/a", OptionalInt.of(0600), OptionalLong.empty(), OptionalLong.empty(), 0, op(4)),
        new Rename("/d/a", "/d/b", 0, op(5)),
        new Unlink("/d/l", 0, op(6)),
        new Mkdir("/e", 0755, 0, op(7)),
        new Rmdir("/e", 0, op(8)));
    List<Reply> firsts = ops.stream().map(m -> call(c, m)).toList();
    long seqAfter = origin.server.volume().currentSeq();
    FileAttr b = attr(call(c, new GetAttr("", "/d/b")));

    RpcClient again = origin.connect(Mode.RW);
    for (int i = 0; i < ops.size(); i++) {
      // Applied twice, each of these would fail (ALREADY_EXISTS, NOT_FOUND) or change a version.
      assertThat(call(again, ops.get(i))).as(ops.get(i).toString()).isEqualTo(firsts.get(i));
    }
    assertThat(firsts.get(4)).isInstanceOf(Ok.class);
    assertThat(origin.server.volume().currentSeq()).as("no journal entry for a resend").isEqualTo(seqAfter);
    assertThat(eventsAfter(seqBefore)).hasSize(ops.size());
    assertThat(attr(call(again, new GetAttr("", "/d/b")))).isEqualTo(b);
    assertThat(error(() -> call(again, new GetAttr("", "/e"))).code()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void anOperationIdReusedForAnotherKindOfMutationIsRefused() {
    RpcClient c = origin.connect(Mode.RW);
    call(c, new Mkdir("/d", 0755, 0, op(1)));
    OutpostException e = error(() -> call(c, new Unlink("/d", 0, op(1))));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("not Unlink");
  }

  @Test
  void aRefusedMutationIsNotRecordedSoItsResendIsTriedAgain() {
    RpcClient c = origin.connect(Mode.RW);
    Create create = new Create("/d/a", 0644, true, 0, op(1));
    assertThat(error(() -> call(c, create)).code()).isEqualTo(ErrorCode.NOT_FOUND); // no /d yet
    call(c, new Mkdir("/d", 0755, 0, op(2)));
    assertThat(attr(call(c, create)).type()).isEqualTo(dev.outpost.protocol.FileType.FILE);
  }

  @Test
  void aResendIsAnsweredFromItsRecordEvenAfterItsLeaseWasTakenOver() {
    RpcClient alice = client("alice");
    RpcClient bob = client("bob");
    LeaseGrant lease = (LeaseGrant) call(alice, new LeaseAcquire("/doc", LeaseMode.EXCLUSIVE, false, 30_000));
    Commit commit = new Commit("/doc", 0, 0, Optional.empty(), 0, 1000, lease.token(), op(1));
    FileAttr first = attr(call(alice, commit));
    // Alice's answer is lost; before she resends, her lease lapses and bob takes over.
    origin.clock.advance(Duration.ofSeconds(31));
    call(bob, new LeaseAcquire("/doc", LeaseMode.EXCLUSIVE, false, 30_000));
    assertThat(attr(call(alice, commit))).as("applied before the takeover: the first reply, not FENCED")
        .isEqualTo(first);
    // A new operation under the old token is fenced as ever.
    assertThat(error(() -> call(alice, commit.withOp(op(2)).withBase(first.inode(), first.version()))).code())
        .isEqualTo(ErrorCode.FENCED);
  }

  @Test
  void aNamespaceChangeUnderALeaseThatWasTakenOverIsFenced() {
    RpcClient alice = client("alice");
    RpcClient bob = client("bob");
    call(alice, new Mkdir("/proj", 0755));
    call(alice, new Create("/proj/plan", 0644, true));
    LeaseGrant old = (LeaseGrant) call(alice, new LeaseAcquire("/proj", LeaseMode.EXCLUSIVE, true, 30_000));
    // Under her live lease, alice's token lets her change the namespace.
    call(alice, new Create("/proj/notes", 0644, true, old.token(), op(1)));
    origin.clock.advance(Duration.ofSeconds(31));
    LeaseGrant taken = (LeaseGrant) call(bob, new LeaseAcquire("/proj", LeaseMode.EXCLUSIVE, true, 30_000));

    for (dev.outpost.protocol.Mutation late : List.<dev.outpost.protocol.Mutation>of(
        new Unlink("/proj/plan", old.token(), op(2)),
        new Rename("/proj/plan", "/proj/plan2", old.token(), op(3)),
        new Mkdir("/proj/sub", 0755, old.token(), op(4)),
        new Symlink("/proj/l", "plan", old.token(), op(5)),
        new SetAttr("/proj/plan", OptionalInt.of(0600), OptionalLong.empty(), OptionalLong.empty(), old.token(),
            op(6)))) {
      OutpostException e = error(() -> call(alice, late));
      assertThat(e.code()).as(late.toString()).isEqualTo(ErrorCode.FENCED);
      assertThat(e.getMessage()).contains("lease token " + old.token() + " is not current");
    }
    // Without a token alice meets bob's lease as a conflict; bob's own token works.
    assertThat(error(() -> call(alice, new Unlink("/proj/plan"))).code()).isEqualTo(ErrorCode.LEASE_CONFLICT);
    assertThat(call(bob, new Unlink("/proj/plan", taken.token(), new OperationId(77, 1)))).isInstanceOf(Ok.class);
    // A token must cover every path a rename changes.
    call(bob, new Create("/proj/x", 0644, true, taken.token(), new OperationId(77, 2)));
    assertThat(error(() -> call(bob, new Rename("/proj/x", "/elsewhere", taken.token(), new OperationId(77, 3))))
        .code()).isEqualTo(ErrorCode.FENCED);
  }

  @Test
  void inodesReservedOverTheWireAreKeptByTheCreationsThatNameThem() {
    // A proxy reserves with its own (read-only) token; a writer's replayed creations then name the numbers.
    RpcClient proxy = origin.connect(origin.token(Mode.RO, "proxy", Duration.ofDays(1)));
    InodeRange range = (InodeRange) call(proxy, new ReserveInodes(ORIGINATOR, 2));
    RpcClient writer = client("alice");
    FileAttr f = attr(call(writer, new Create("/kept", 0644, true, range.first(), 0, op(1))));
    assertThat(f.inode()).isEqualTo(range.first());
    assertThat(attr(call(writer, new GetAttr("", "/kept"))).inode()).isEqualTo(range.first());
    assertThat(attr(call(writer, new Create("/kept", 0644, true, range.first(), 0, op(1)))))
        .as("a resend is answered from its record").isEqualTo(f);
    assertThat(error(() -> call(writer, new Mkdir("/again", 0755, range.first(), 0, op(2)))).code())
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(error(() -> call(proxy, new Create("/ro", 0644, true, range.end() - 1, 0, op(3)))).code())
        .as("creating still needs a write token").isEqualTo(ErrorCode.FORBIDDEN);
  }
}
