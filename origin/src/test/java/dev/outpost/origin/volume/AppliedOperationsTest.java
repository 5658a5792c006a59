package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.Unlink;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Mutations with operation ids on a real LMDB volume: recorded with their change, answered once, bounded. */
class AppliedOperationsTest extends VolumeTestBase {
  private static final long ALICE = 0xA11CEL;
  private static final long BOB = -0xB0BL;

  private static OperationId op(long originator, long seq) {
    return new OperationId(originator, seq);
  }

  @Test
  void aRepeatedCommitChangesNothingAndReturnsTheFirstResultEvenAfterTheFileChanged() {
    Content c = content("one", 3);
    upload(c);
    long seq = volume.currentSeq();
    var first = volume.commit(op(ALICE, 1), "/f", 0, 0, c.rootRef(), c.size(), T0, T0);
    assertThat(first.events()).hasSize(1);
    var again = volume.commit(op(ALICE, 1), "/f", 0, 0, c.rootRef(), c.size(), T0 + 5, T0 + 5);
    assertThat(again.result()).isEqualTo(first.result());
    assertThat(again.events()).as("no journal entry").isEmpty();
    assertThat(volume.currentSeq()).isEqualTo(seq + 1);
    assertThat(volume.getAttr("", "/f").version()).isEqualTo(1);

    FileAttr changed = volume.commit(op(ALICE, 2), "/f", 0, 1, java.util.Optional.empty(), 0, T0 + 6, T0 + 6)
        .result();
    assertThat(changed.version()).isEqualTo(2);
    assertThat(volume.commit(op(ALICE, 1), "/f", 0, 0, c.rootRef(), c.size(), T0 + 7, T0 + 7).result())
        .isEqualTo(first.result());
    assertThat(volume.applied(op(ALICE, 1), Commit.class)).contains(new AttrReply(first.result()));
    assertThat(volume.getAttr("", "/f")).isEqualTo(changed);
    assertThat(volume.journalAfter(seq, "/", 10)).extracting(e -> e.kind())
        .containsExactly(ChangeKind.CREATED, ChangeKind.MODIFIED);
  }

  @Test
  void repeatedNamespaceChangesAreAnsweredFromTheirRecord() {
    FileAttr created = volume.create(op(ALICE, 1), "/a", 0644, true, T0).result();
    assertThat(volume.create(op(ALICE, 1), "/a", 0644, true, T0).result()).isEqualTo(created);
    volume.rename(op(ALICE, 2), "/a", "/b", T0);
    assertThat(volume.rename(op(ALICE, 2), "/a", "/b", T0).events()).isEmpty();
    volume.unlink(op(ALICE, 3), "/b", T0);
    assertThat(volume.unlink(op(ALICE, 3), "/b", T0).events()).isEmpty();
    assertThat(volume.applied(op(ALICE, 2), Rename.class)).contains(new Ok());
    assertThat(volume.applied(op(ALICE, 1), Create.class)).contains(new AttrReply(created));
    assertThat(volume.journalAfter(0, "/", 10)).extracting(e -> e.kind())
        .containsExactly(ChangeKind.CREATED, ChangeKind.RENAMED, ChangeKind.REMOVED);
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.unlink(op(ALICE, 2), "/b", T0));
    // Without an id nothing is recorded or deduplicated.
    volume.create(OperationId.NONE, "/c", 0644, true, T0);
    failure(ErrorCode.ALREADY_EXISTS, () -> volume.create(OperationId.NONE, "/c", 0644, true, T0));
    assertThat(volume.applied.originatorCount()).isEqualTo(1);
  }

  @Test
  void theNewestWindowOfRepliesIsKeptAndAnOlderUnrecordedIdIsStale() {
    volume.create(op(BOB, 1), "/bob", 0644, true, T0);
    volume.create(op(ALICE, 1), "/f", 0644, true, T0);
    // Sequence 2 is never sent (a refused or abandoned operation leaves such gaps).
    for (long s = 3; s <= OperationId.WINDOW + 2; s++) {
      volume.setAttr(op(ALICE, s), "/f", OptionalInt.empty(), OptionalLong.of(s), OptionalLong.empty(), T0);
    }
    // The newest is WINDOW + 2: 1 and 2 are at or below it minus the window, 3 is the oldest kept.
    failure(ErrorCode.STALE_OPERATION, () -> volume.applied(op(ALICE, 1), Create.class));
    failure(ErrorCode.STALE_OPERATION, () -> volume.create(op(ALICE, 1), "/f", 0644, true, T0));
    failure(ErrorCode.STALE_OPERATION,
        () -> volume.setAttr(op(ALICE, 2), "/f", OptionalInt.of(0600), OptionalLong.empty(), OptionalLong.empty(), T0));
    assertThat(volume.getAttr("", "/f").mode()).as("a stale operation changes nothing").isEqualTo(0644);
    assertThat(volume.applied(op(ALICE, 3), SetAttr.class)).isPresent();
    long events = volume.currentSeq();
    assertThat(volume.setAttr(op(ALICE, 3), "/f", OptionalInt.empty(), OptionalLong.of(3), OptionalLong.empty(), T0)
        .events()).isEmpty();
    assertThat(volume.currentSeq()).isEqualTo(events);
    long recorded = volume.storage.read(txn -> volume.applied.applied.count(txn));
    assertThat(recorded).as("alice's window and bob's one").isEqualTo(OperationId.WINDOW + 1);
    // Another sender's window is its own.
    assertThat(volume.applied(op(BOB, 1), Create.class)).isPresent();
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void gcForgetsSendersIdleForThirtyDays() {
    volume.create(op(ALICE, 1), "/a", 0644, true, T0);
    volume.create(op(BOB, 1), "/b", 0644, true, T0 + Duration.ofDays(10).toMillis());
    long thirtyDays = Duration.ofDays(30).toMillis();

    assertThat(volume.collectGarbage(0, T0 + thirtyDays - 1).originatorsDropped()).isZero();
    assertThat(volume.applied(op(ALICE, 1), Create.class)).isPresent();
    assertThat(volume.collectGarbage(0, T0 + thirtyDays).originatorsDropped()).isEqualTo(1);
    assertThat(volume.applied(op(ALICE, 1), Create.class)).as("forgotten").isEmpty();
    assertThat(volume.applied(op(BOB, 1), Create.class)).as("seen 20 days ago").isPresent();
    assertThat(volume.applied.originatorCount()).isEqualTo(1);
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void recordsSurviveAReopenAndFsckChecksThem() {
    FileAttr a = volume.create(op(ALICE, 7), "/a", 0644, true, T0).result();
    volume.unlink(op(ALICE, 8), "/a", T0);
    reopen(100);
    assertThat(volume.create(op(ALICE, 7), "/a", 0644, true, T0).result()).isEqualTo(a);
    assertThat(volume.getAttr("", "/").version()).as("the root changed twice, not again").isEqualTo(3);
    assertThat(volume.fsck()).isEmpty();

    volume.storage.write(txn -> volume.applied.originators.delete(txn, ALICE));
    assertThat(volume.fsck()).containsExactly(
        "applied operations of originator a11ce (2) without an originator record");
    volume.storage.write(txn -> {
      volume.applied.originators.put(txn, ALICE, new AppliedOperations.Originator(9, T0));
      return null;
    });
    assertThat(volume.fsck()).containsExactly(
        "originator a11ce says its highest seq is 9 but the newest recorded is 8");
    assertThat(volume.applied(op(ALICE, 8), Unlink.class)).isPresent();
  }
}
