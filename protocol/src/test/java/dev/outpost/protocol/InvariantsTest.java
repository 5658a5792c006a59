package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Records refuse invalid values with a typed error, so a decoded message is always valid. */
class InvariantsTest {
  private static final BlockId ID = BlockId.fromHex("cd".repeat(32));
  private static final RootRef ROOT = new RootRef(ID, 0, 100, new byte[] {1, 2, 3});

  private static ErrorCode codeOf(ThrowingCallable call) {
    OutpostException e = catchThrowableOfType(OutpostException.class, call);
    assertThat(e).as("expected an OutpostException").isNotNull();
    return e.code();
  }

  @Test
  void snapshotNames() {
    assertThatCode(() -> SnapshotInfo.checkName("")).doesNotThrowAnyException();
    assertThatCode(() -> SnapshotInfo.checkName("nightly-2026.11.23_a")).doesNotThrowAnyException();
    assertThatCode(() -> SnapshotInfo.checkName("x".repeat(64))).doesNotThrowAnyException();
    for (String bad : List.of(".", "..", "a/b", "a b", "x".repeat(65), "é")) {
      assertThat(codeOf(() -> SnapshotInfo.checkName(bad))).as(bad).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
    assertThat(codeOf(() -> new SnapshotCreate(""))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void fileAttributesMustBeConsistentWithTheirType() {
    assertThat(codeOf(() -> new FileAttr(1, FileType.FILE, 010000, 0, 0, 1, Optional.empty(), "")))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new FileAttr(1, FileType.DIRECTORY, 0755, 0, 0, 1, Optional.of(ROOT), "")))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new FileAttr(1, FileType.FILE, 0644, 0, 0, 1, Optional.empty(), "/x")))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new FileAttr(1, FileType.SYMLINK, 0777, 0, 0, 1, Optional.empty(), "")))
        .isEqualTo(ErrorCode.INVALID_PATH);
    assertThat(codeOf(() -> new FileAttr(0, FileType.FILE, 0644, 0, 0, 1, Optional.empty(), "")))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void pathsAndNamesAreCheckedAsVolumePaths() {
    assertThat(codeOf(() -> new GetAttr("", "relative"))).isEqualTo(ErrorCode.INVALID_PATH);
    assertThat(codeOf(() -> new Lookup("", 1, "a/b"))).isEqualTo(ErrorCode.INVALID_PATH);
    assertThat(codeOf(() -> new ReadDir("", "/", "..", 10))).isEqualTo(ErrorCode.INVALID_PATH);
    assertThat(codeOf(() -> new Rename("/a", "/b/"))).isEqualTo(ErrorCode.INVALID_PATH);
    assertThat(codeOf(() -> new Unlink("/a\uD800"))).as("unpaired surrogate cannot travel as UTF-8")
        .isEqualTo(ErrorCode.INVALID_PATH);
  }

  @Test
  void countsAndRanges() {
    List<BlockId> tooMany = new ArrayList<>(Collections.nCopies(GetBlocks.MAX_IDS + 1, ID));
    assertThat(codeOf(() -> new GetBlocks(tooMany))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new HasBlocks(List.of()))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    List<BlockId> withNull = new ArrayList<>();
    withNull.add(null);
    assertThat(codeOf(() -> new HasBlocks(withNull))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new ReadDir("", "/", "", 0))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new ReadDir("", "/", "", ReadDir.MAX_ENTRIES + 1))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new Hello(2, 1, "a", "t"))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new Commit("/f", 0, 0, Optional.empty(), 5, 0, 0))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new ChangeEvent(1, 1, "/a", "/b", 1, ChangeKind.MODIFIED)))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new ChangeEvent(1, 1, "/a", "", 1, ChangeKind.RENAMED))).isEqualTo(ErrorCode.INVALID_PATH);
    assertThat(codeOf(() -> new LeaseAcquire("/a", LeaseMode.SHARED, false, 0))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new Frame(1, 0, 2, new Ping(1)))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> Frame.of(0, new Ping(1)))).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
  }

  @Test
  void operationIdsAreNoneOrAnOriginatorWithAPositiveSequence() {
    assertThat(OperationId.NONE.isNone()).isTrue();
    assertThat(new OperationId(-5, 1).isNone()).isFalse();
    assertThat(codeOf(() -> new OperationId(0, 1))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new OperationId(7, 0))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new OperationId(7, -1))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new Unlink("/a", 0, null))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new Rename("/a", "/b", -1, OperationId.NONE))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new AttrReply(new FileAttr(1, FileType.FILE, 0644, 0, 0, 1, Optional.empty(), ""), -1)))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new DirPage(List.of(), false, -1))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> new LinkTarget("x", -1))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void aMutationIsCopiedUnderAnotherIdOrBaseWithEverythingElseKept() {
    OperationId first = new OperationId(11, 1);
    OperationId second = new OperationId(12, 40);
    Commit c = new Commit("/f", 3, 4, Optional.of(ROOT), 9, 10, 5, first);
    assertThat(c.withOp(second)).isEqualTo(new Commit("/f", 3, 4, Optional.of(ROOT), 9, 10, 5, second));
    assertThat(c.withBase(8, 6)).isEqualTo(new Commit("/f", 8, 6, Optional.of(ROOT), 9, 10, 5, first));
    Rename r = new Rename("/a", "/b", 7, first);
    assertThat(r.withOp(second)).isEqualTo(new Rename("/a", "/b", 7, second));
    assertThat(r.paths()).containsExactly("/a", "/b");
    List<Mutation> all = List.of(new Create("/c", 0644, true, 1, first), new Mkdir("/d", 0755, 2, first),
        new Symlink("/l", "t", 3, first), new Unlink("/u", 4, first), new Rmdir("/r", 5, first), r,
        new SetAttr("/s", java.util.OptionalInt.of(0600), java.util.OptionalLong.empty(),
            java.util.OptionalLong.empty(), 6, first), c);
    for (Mutation m : all) {
      Mutation copy = m.withOp(second);
      assertThat(copy.op()).as(m.toString()).isEqualTo(second);
      assertThat(copy.withOp(first)).as(m.toString()).isEqualTo(m);
      assertThat(copy.leaseToken()).isEqualTo(m.leaseToken());
      assertThat(copy.paths()).isEqualTo(m.paths()).isNotEmpty();
    }
    assertThat(new Unlink("/u").op()).isEqualTo(OperationId.NONE);
    assertThat(new Unlink("/u").leaseToken()).isZero();
  }

  @Test
  void aRejectedPayloadStaysWithTheCaller() {
    ByteBuf empty = Wire.ALLOC.buffer();
    try {
      assertThat(codeOf(() -> new BlockData(ID, empty))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(empty.refCnt()).isEqualTo(1);
    } finally {
      empty.release();
    }
  }

  @Test
  void errorRepliesNeverFailToBuild() {
    ErrorReply broken = new ErrorReply(ErrorCode.INTERNAL, "bad \uD800 half");
    assertThat(broken.message()).isEqualTo("bad \uFFFD half");
    ErrorReply longOne = new ErrorReply(ErrorCode.INTERNAL, "x".repeat(100_000));
    assertThat(longOne.message()).hasSize(ErrorReply.MAX_MESSAGE_CHARS);
    ErrorReply cutPair = new ErrorReply(ErrorCode.INTERNAL, "x".repeat(ErrorReply.MAX_MESSAGE_CHARS - 1) + "\uD83D\uDE00");
    assertThat(cutPair.message()).endsWith("\uFFFD").hasSize(ErrorReply.MAX_MESSAGE_CHARS);
    assertThat(new ErrorReply(ErrorCode.NOT_FOUND, null).message()).isEmpty();
    assertThat(ErrorReply.of(new OutpostException(ErrorCode.FENCED, "old token")).toException())
        .hasMessage("old token").extracting(OutpostException::code).isEqualTo(ErrorCode.FENCED);
  }
}
