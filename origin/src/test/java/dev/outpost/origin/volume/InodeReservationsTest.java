package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.ReserveInodes;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Inode numbers reserved ahead for an originator (a proxy that will create entries while cut off) on a real LMDB
 * volume: creations keep the reserved number, each number is used once, the reservations are bounded and durable.
 */
class InodeReservationsTest extends VolumeTestBase {
  private static final long PROXY = 0x9e0_0001L;
  private static final long OTHER = -0x77L;

  private static OperationId op(long originator, long seq) {
    return new OperationId(originator, seq);
  }

  @Test
  void entriesCreatedWithReservedInodesKeepThemAndNothingElseGetsThem() {
    FileAttr before = volume.create(OperationId.NONE, "/before", 0644, true, T0).result();
    InodeRange range = volume.reserveInodes(PROXY, 3, T0);
    assertThat(range.first()).isEqualTo(before.inode() + 1);
    assertThat(range.count()).isEqualTo(3);

    FileAttr ordinary = volume.create(OperationId.NONE, "/ordinary", 0644, true, T0).result();
    assertThat(ordinary.inode()).as("numbered after the range").isEqualTo(range.end());

    long last = range.end() - 1;
    FileAttr file = volume.create(op(PROXY, 1), "/f", 0600, true, last, T0).result();
    FileAttr dir = volume.mkdir(op(PROXY, 2), "/d", 0755, range.first(), T0).result();
    FileAttr link = volume.symlink(op(PROXY, 3), "/d/l", "../f", range.first() + 1, T0).result();
    assertThat(file.inode()).isEqualTo(last);
    assertThat(dir.inode()).isEqualTo(range.first());
    assertThat(link.inode()).isEqualTo(range.first() + 1);
    assertThat(volume.getAttr("", "/f")).isEqualTo(file);
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void aReservedInodeIsUsedOnceAndOnlyByItsOriginator() {
    InodeRange range = volume.reserveInodes(PROXY, 10, T0);
    long n = range.first() + 4;
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.create(op(OTHER, 1), "/x", 0644, true, n, T0));
    FileAttr a = volume.create(op(PROXY, 1), "/a", 0644, true, n, T0).result();
    assertThat(a.inode()).isEqualTo(n);
    // The same operation again is answered from its record, not refused for a used number.
    assertThat(volume.create(op(PROXY, 1), "/a", 0644, true, n, T0).result()).isEqualTo(a);
    volume.unlink(op(PROXY, 2), "/a", T0);
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.create(op(PROXY, 3), "/a", 0644, true, n, T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.create(op(PROXY, 4), "/b", 0644, true, range.end(), T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.create(OperationId.NONE, "/c", 0644, true, n + 1, T0));
    // The numbers on both sides of the used one are still there.
    assertThat(volume.create(op(PROXY, 5), "/c", 0644, true, n - 1, T0).result().inode()).isEqualTo(n - 1);
    assertThat(volume.create(op(PROXY, 6), "/e", 0644, true, n + 1, T0).result().inode()).isEqualTo(n + 1);
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void aRefusedCreationLeavesItsNumberReserved() {
    InodeRange range = volume.reserveInodes(PROXY, 1, T0);
    volume.create(OperationId.NONE, "/taken", 0644, true, T0);
    failure(ErrorCode.ALREADY_EXISTS, () -> volume.create(op(PROXY, 1), "/taken", 0644, true, range.first(), T0));
    assertThat(volume.create(op(PROXY, 2), "/free", 0644, true, range.first(), T0).result().inode())
        .isEqualTo(range.first());
  }

  @Test
  void anOriginatorHoldsABoundedNumberOfRanges() {
    for (int i = 0; i < ReserveInodes.MAX_RANGES; i++) {
      volume.reserveInodes(PROXY, 2, T0);
    }
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.reserveInodes(PROXY, 2, T0));
    assertThat(volume.reserveInodes(OTHER, 2, T0).count()).isEqualTo(2);
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.reserveInodes(PROXY, 0, T0));
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.reserveInodes(0, 1, T0));
  }

  @Test
  void reservationsSurviveARestartAndUnusedOnesAreDroppedAfterThirtyDays() {
    InodeRange kept = volume.reserveInodes(PROXY, 5, T0);
    InodeRange idle = volume.reserveInodes(OTHER, 5, T0);
    reopen(LmdbVolume.DEFAULT_JOURNAL_RETAIN_EVENTS);
    long later = T0 + Duration.ofDays(20).toMillis();
    volume.create(op(PROXY, 1), "/a", 0644, true, kept.first(), later);

    long end = T0 + Duration.ofDays(31).toMillis();
    volume.collectGarbage(0, end);
    // PROXY used its range 11 days ago: kept. OTHER never did: dropped.
    assertThat(volume.create(op(PROXY, 2), "/b", 0644, true, kept.first() + 1, end).result().inode())
        .isEqualTo(kept.first() + 1);
    failure(ErrorCode.INVALID_ARGUMENT, () -> volume.create(op(OTHER, 1), "/c", 0644, true, idle.first(), end));
    assertThat(volume.fsck()).isEmpty();
  }

  @Test
  void fsckReportsARangeReachingPastTheInodeCounter() {
    InodeRange r = volume.reserveInodes(PROXY, 5, T0);
    volume.storage.write(txn -> {
      volume.meta.put(txn, VolumeMeta.NEXT_INODE, r.first() + 2);
      return null;
    });
    assertThat(volume.fsck()).anySatisfy(p -> assertThat(p).contains("inode reservation").contains("past the inode"));
  }

  @Test
  void aCreateWithoutAReservedInodeIsNumberedAsBefore() {
    Create plain = new Create("/p", 0644, true);
    assertThat(plain.inode()).isZero();
    assertThat(volume.create(OperationId.NONE, plain.path(), plain.mode(), true, plain.inode(), T0).result().inode())
        .isPositive();
  }
}
