package dev.outpost.proxy.writeback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.crypto.BlockIds;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.proxy.attrs.AttrCache;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.store.Table;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-back log on a real LMDB environment: the origin's rules against the branch's view, durable appends,
 * the overlay clients read, what cancels out, clients' operation ids, bounds, reserved inodes.
 */
class WriteBackLogTest {
  static final long T0 = 1_700_000_000_000L;
  static final long HQ_FILE_INODE = 40;
  static final long RESERVED = 1L << 40;

  @TempDir
  Path dir;
  final ProxyMetrics metrics = new ProxyMetrics();
  final AttrCache attrs = new AttrCache(10_000, Runnable::run, metrics);
  volatile boolean trusted = true;
  final Clock clock = Clock.fixed(Instant.ofEpochMilli(T0), ZoneOffset.UTC);
  final WriteBackLog.Writer alice = new WriteBackLog.Writer("alice", "token-of-alice");
  final List<WriteBackLog.LocalChange> changes = new CopyOnWriteArrayList<>();
  WriteBackLog wb;

  @BeforeEach
  void open() {
    // Headquarters as the branch cached it: /d (a directory with a and b) and /f.
    FileAttr d = new FileAttr(30, FileType.DIRECTORY, 0755, 0, T0, 4, Optional.empty(), "");
    attrs.putListing("/", new AttrCache.PageKey("", 4096), new DirPage(List.of(new DirEntry("d", d),
        new DirEntry("f", file(HQ_FILE_INODE, 7))), false), attrs.epoch());
    attrs.putListing("/d", new AttrCache.PageKey("", 4096), new DirPage(List.of(new DirEntry("a", file(41, 1)),
        new DirEntry("b", file(42, 1))), false), attrs.epoch());
    wb = openLog(1 << 20, 1 << 20);
    await(wb.addInodes(new InodeRange(RESERVED, 1000)));
  }

  @AfterEach
  void close() {
    if (wb != null) {
      wb.close();
    }
  }

  WriteBackLog openLog(long maxLogBytes, long maxBlockBytes) {
    WriteBackLog log = WriteBackLog.open(dir, maxLogBytes, maxBlockBytes, attrs, () -> trusted, () -> T0 - 60_000,
        clock, metrics);
    log.onLocalChange(changes::add);
    return log;
  }

  WriteBackLog reopen() {
    wb.close();
    wb = openLog(1 << 20, 1 << 20);
    return wb;
  }

  static FileAttr file(long inode, long version) {
    return new FileAttr(inode, FileType.FILE, 0644, 0, T0, version, Optional.empty(), "");
  }

  static <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  Reply append(Mutation m) {
    return append(m, false);
  }

  Reply append(Mutation m, boolean cutOff) {
    WriteBackLog.Outcome o = await(wb.append(m, alice, cutOff, Headquarters.Answers.NONE));
    assertThat(o).as(m.toString()).isInstanceOf(WriteBackLog.Outcome.Answered.class);
    return ((WriteBackLog.Outcome.Answered) o).reply();
  }

  FileAttr attr(Reply r) {
    assertThat(r).isInstanceOf(AttrReply.class);
    return ((AttrReply) r).attr();
  }

  OutpostException refused(Mutation m, boolean cutOff) {
    OutpostException e = catchThrowableOfType(OutpostException.class,
        () -> await(wb.append(m, alice, cutOff, Headquarters.Answers.NONE)));
    assertThat(e).as("refusal of " + m).isNotNull();
    return e;
  }

  List<LogRecord> records() {
    return wb.store().storage.read(txn -> {
      List<LogRecord> out = new ArrayList<>();
      wb.store().log.scan(txn, Table.Direction.FORWARD, (s, r) -> out.add(r));
      return out;
    });
  }

  List<String> names(String dir) {
    return wb.listing(dir, Headquarters.Answers.NONE).orElseThrow().stream().map(DirEntry::name).toList();
  }

  @Test
  void anAppendedCreationIsLoggedWithItsReservedInodeAndSurvivesAReopen() {
    FileAttr f = attr(append(new Create("/d/new", 0600, true)));
    assertThat(f.inode()).isEqualTo(RESERVED);
    assertThat(f.version()).isEqualTo(1);
    assertThat(wb.attr("/d/new")).contains(new AttrReply(f));

    reopen();
    assertThat(wb.attr("/d/new")).contains(new AttrReply(f));
    List<LogRecord> log = records();
    assertThat(log).hasSize(1);
    LogRecord r = log.get(0);
    assertThat(r.seq()).isEqualTo(1);
    assertThat(r.subject()).isEqualTo("alice");
    assertThat(r.token()).isEqualTo("token-of-alice");
    assertThat(r.base()).isEqualTo(Base.ABSENT);
    assertThat(r.clientOp()).isEqualTo(OperationId.NONE);
    // Replayed under this proxy's originator and the log's seq, naming the inode the branch gave.
    assertThat(r.mutation()).isEqualTo(new Create("/d/new", 0600, true, RESERVED, 0,
        new OperationId(wb.originator(), 1)));
    assertThat(wb.inodesLeft()).isEqualTo(999);
    assertThat(attr(append(new Create("/d/next", 0600, true))).inode()).isEqualTo(RESERVED + 1);
  }

  @Test
  void changesGetTheVersionsTheOriginWillGiveThem() {
    FileAttr created = attr(append(new Create("/d/x", 0644, true)));
    RootRef root = new RootRef(BlockId.fromHex("00".repeat(32)), 0, 100, new byte[60]);
    FileAttr committed = attr(append(new Commit("/d/x", created.inode(), 1, Optional.of(root), 10, T0 + 5, 0)));
    assertThat(committed.version()).isEqualTo(2);
    assertThat(committed.size()).isEqualTo(10);
    assertThat(committed.root()).contains(root);
    FileAttr touched = attr(append(new SetAttr("/d/x", OptionalInt.of(0600), OptionalLong.of(T0 + 9),
        OptionalLong.empty())));
    assertThat(touched.version()).isEqualTo(3);
    assertThat(touched.mode()).isEqualTo(0600);
    assertThat(touched.root()).contains(root);
    assertThat(append(new Rename("/d/x", "/d/y"))).isEqualTo(new Ok());
    assertThat(wb.attr("/d/y")).contains(new AttrReply(touched));
    assertThat(wb.attr("/d/x")).hasValueSatisfying(r -> assertThat(((ErrorReply) r).code())
        .isEqualTo(ErrorCode.NOT_FOUND));
    FileAttr hq = attr(append(new Commit("/f", HQ_FILE_INODE, 7, Optional.empty(), 0, T0, 0)));
    assertThat(hq.inode()).isEqualTo(HQ_FILE_INODE);
    assertThat(hq.version()).isEqualTo(8);
    assertThat(records().get(4).base()).isEqualTo(new Base.Existing(file(HQ_FILE_INODE, 7)));
    assertThat(changes).extracting(WriteBackLog.LocalChange::kind).containsExactly(ChangeKind.CREATED,
        ChangeKind.MODIFIED, ChangeKind.ATTRS, ChangeKind.RENAMED, ChangeKind.MODIFIED);
  }

  @Test
  void refusalsAreTheOriginsAndLogNothing() {
    assertThat(refused(new Create("/d/a", 0644, true), false).code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
    assertThat(refused(new Mkdir("/f/sub", 0755), false).code()).isEqualTo(ErrorCode.NOT_A_DIRECTORY);
    assertThat(refused(new Rmdir("/d"), false).code()).isEqualTo(ErrorCode.DIRECTORY_NOT_EMPTY);
    assertThat(refused(new Unlink("/d"), false).code()).isEqualTo(ErrorCode.IS_A_DIRECTORY);
    assertThat(refused(new SetAttr("/f", OptionalInt.empty(), OptionalLong.empty(), OptionalLong.of(5)), false)
        .code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    OutpostException stale = refused(new Commit("/f", HQ_FILE_INODE, 6, Optional.empty(), 0, T0, 0), false);
    assertThat(stale.code()).isEqualTo(ErrorCode.CONFLICT);
    assertThat(((dev.outpost.transport.ConflictException) stale).current()).contains(file(HQ_FILE_INODE, 7));
    assertThat(refused(new Unlink("/d/none"), false).code()).as("a cached listing says it is absent")
        .isEqualTo(ErrorCode.NOT_FOUND);
    // Not exclusive: the existing file is the answer, and nothing changes.
    assertThat(attr(append(new Create("/d/a", 0644, false)))).isEqualTo(file(41, 1));
    assertThat(records()).isEmpty();
    assertThat(wb.isEmpty()).isTrue();
  }

  @Test
  void whatTheBranchDoesNotKnowIsAskedForWhileConnectedAndOfflineWhileCutOff() {
    trusted = false; // the subscription is not live: nothing cached counts
    WriteBackLog.Outcome ask = await(wb.append(new Unlink("/f"), alice, false, Headquarters.Answers.NONE));
    assertThat(ask).isEqualTo(new WriteBackLog.Outcome.Ask(java.util.Set.of("/f"), java.util.Set.of()));
    // With the origin's answer it is decided.
    Headquarters.Answers told = new Headquarters.Answers(Map.of("/f", Optional.of(file(HQ_FILE_INODE, 7))), Map.of());
    assertThat(await(wb.append(new Unlink("/f"), alice, false, told)))
        .isEqualTo(new WriteBackLog.Outcome.Answered(new Ok()));

    OutpostException offline = refused(new Unlink("/unknown/x"), true);
    assertThat(offline.code()).isEqualTo(ErrorCode.OFFLINE);
    assertThat(offline.getMessage()).isEqualTo("offline: /unknown/x is not cached at this branch");
    trusted = true;
    // Cut off, a creation in a known directory is applied optimistically: a clash becomes a conflict at replay.
    attrs.invalidatePaths(List.of("/d/a"), false); // forgets /d's listing: /d/new2 is unknown
    attrs.putAttr("/d", new AttrReply(new FileAttr(30, FileType.DIRECTORY, 0755, 0, T0, 4, Optional.empty(), "")),
        attrs.epoch());
    FileAttr made = attr(append(new Symlink("/d/new2", "../f"), true));
    assertThat(made.type()).isEqualTo(FileType.SYMLINK);
    assertThat(made.size()).isEqualTo(4);
    assertThat(records().get(records().size() - 1).base()).isEqualTo(Base.UNKNOWN);
    assertThat(refused(new Rmdir("/d"), true).getMessage()).isEqualTo(
        "offline: the listing of /d is not cached at this branch");
  }

  @Test
  void theListingIsHeadquartersMinusWhatWasRemovedPlusWhatWasMadeHere() {
    append(new Create("/d/c", 0644, true));
    append(new Unlink("/d/a"));
    append(new Mkdir("/d/sub", 0755));
    append(new Create("/d/sub/inner", 0644, true));
    assertThat(names("/d")).containsExactly("b", "c", "sub");
    assertThat(names("/d/sub")).as("made here: nothing from headquarters").containsExactly("inner");
    assertThat(wb.changesListing("/d")).isTrue();
    assertThat(wb.changesListing("/")).isFalse();
    assertThat(refused(new Rmdir("/d/sub"), false).code()).isEqualTo(ErrorCode.DIRECTORY_NOT_EMPTY);
    append(new Unlink("/d/sub/inner"));
    append(new Rmdir("/d/sub"));
    assertThat(names("/d")).containsExactly("b", "c");
  }

  @Test
  void removingAnUnsentEntryMadeHereDropsItsWholeHistory() {
    FileAttr t = attr(append(new Create("/d/tmp", 0644, true)));
    append(new Commit("/d/tmp", t.inode(), 1, Optional.empty(), 0, T0, 0));
    append(new Create("/d/keep", 0644, true));
    append(new Unlink("/d/tmp"));
    assertThat(records()).extracting(r -> r.mutation().paths()).containsExactly(List.of("/d/keep"));
    assertThat(wb.attr("/d/tmp")).isEmpty();
    assertThat(names("/d")).containsExactly("a", "b", "keep");
    assertThat(metrics.count(ProxyMetrics.WRITEBACK_COALESCED)).isEqualTo(3);

    // What was in the log when the proxy started may have reached the origin: never dropped.
    reopen();
    append(new Unlink("/d/keep"));
    assertThat(records()).hasSize(2);
    // Nor what the replayer has sent.
    FileAttr s = attr(append(new Create("/d/sent", 0644, true)));
    long seq = records().get(records().size() - 1).seq();
    assertThat(wb.claims().send(seq)).isTrue();
    append(new Unlink("/d/sent"));
    assertThat(records()).hasSize(4);
    assertThat(s.inode()).isPositive();
  }

  @Test
  void aClientsResentOperationIsAnsweredWithTheFirstReplyAndLoggedOnce() {
    OperationId op = new OperationId(0x77, 5);
    FileAttr first = attr(append(new Create("/d/once", 0644, true, 0, op)));
    reopen();
    assertThat(attr(append(new Create("/d/once", 0644, true, 0, op)))).isEqualTo(first);
    assertThat(records()).hasSize(1);
    assertThat(records().get(0).mutation().op()).as("replayed under the client's own id").isEqualTo(op);
    assertThat(records().get(0).clientOp()).isEqualTo(op);
  }

  @Test
  void aFullLogRefusesWithItsMessageAndLosesNothing() {
    wb.close();
    wb = openLog(600, 1 << 20);
    int logged = 0;
    OutpostException full = null;
    for (int i = 0; i < 100 && full == null; i++) {
      try {
        append(new Mkdir("/d/dir" + i, 0755));
        logged++;
      } catch (OutpostException e) {
        full = e;
      }
    }
    assertThat(full).isNotNull();
    assertThat(full.code()).isEqualTo(ErrorCode.NO_SPACE);
    assertThat(full.getMessage()).startsWith("write-back log full (0.0 MiB of 0.0 MiB): the link to headquarters"
        + " has been down since " + Instant.ofEpochMilli(T0 - 60_000));
    assertThat(logged).isPositive();
    wb.close();
    wb = openLog(600, 1 << 20);
    assertThat(records()).hasSize(logged);
    assertThat(wb.status().bytes()).isLessThanOrEqualTo(600);
  }

  @Test
  void blocksUploadedWhileLoggingAreKeptDurablyAndBounded() {
    wb.close();
    wb = openLog(1 << 20, 10_000);
    Random random = new Random(3);
    byte[] one = new byte[6_000];
    random.nextBytes(one);
    BlockId id = BlockIds.of(one);
    await(wb.putBlock(id, one));
    await(wb.putBlock(id, one)); // again: nothing more
    assertThat(wb.status().blockBytes()).isEqualTo(6_000);
    byte[] two = new byte[6_000];
    random.nextBytes(two);
    OutpostException full = catchThrowableOfType(OutpostException.class,
        () -> await(wb.putBlock(BlockIds.of(two), two)));
    assertThat(full.code()).isEqualTo(ErrorCode.NO_SPACE);
    assertThat(full.getMessage()).startsWith("write-back blocks full");
    wb.close();
    wb = openLog(1 << 20, 10_000);
    assertThat(wb.hasBlock(id)).isTrue();
    assertThat(wb.block(id)).hasValueSatisfying(b -> assertThat(b).isEqualTo(one));
    assertThat(wb.hasBlock(BlockIds.of(two))).isFalse();
  }

  @Test
  void withoutReservedInodesNothingIsCreated() {
    wb.close();
    java.nio.file.Path other = dir.resolve("other");
    wb = WriteBackLog.open(other, 1 << 20, 1 << 20, attrs, () -> true, () -> 0, clock, metrics);
    OutpostException e = refused(new Create("/d/x", 0644, true), true);
    assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE);
    assertThat(e.getMessage()).contains("no inode numbers left");
    // Everything but a creation still works.
    assertThat(append(new Unlink("/d/a"), true)).isEqualTo(new Ok());
  }

  @Test
  void aDirectoryIsNotRenamedAtTheBranch() {
    assertThat(await(wb.append(new Rename("/d", "/e"), alice, true, Headquarters.Answers.NONE)))
        .isInstanceOf(WriteBackLog.Outcome.DirectoryRename.class);
    assertThat(records()).isEmpty();
  }

  @Test
  void appendsArrivingTogetherAreAllAnsweredInOrder() {
    List<CompletableFuture<WriteBackLog.Outcome>> all = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      all.add(wb.append(new Create("/d/n" + i, 0644, true), alice, false, Headquarters.Answers.NONE));
    }
    for (int i = 0; i < 300; i++) {
      assertThat(attr(((WriteBackLog.Outcome.Answered) await(all.get(i))).reply()).inode())
          .isEqualTo(RESERVED + i);
    }
    assertThat(records()).hasSize(300);
    assertThat(wb.touches(List.of("/d/n7"))).isTrue();
    assertThat(wb.touches(List.of("/elsewhere"))).isFalse();
    assertThat(names("/d")).hasSize(302);
  }
}
