package dev.outpost.origin.server;

import static dev.outpost.origin.server.OriginFixture.block;
import static dev.outpost.origin.server.OriginFixture.call;
import static dev.outpost.origin.server.OriginFixture.upload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken.Mode;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.origin.server.OriginFixture.TestBlock;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.BlockMissing;
import dev.outpost.core.BlockRef;
import dev.outpost.protocol.BlockRefs;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.DiffBlocks;
import dev.outpost.protocol.DiffPaths;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.HasBlocks;
import dev.outpost.protocol.Hello;
import dev.outpost.protocol.LinkTarget;
import dev.outpost.protocol.ListBlocks;
import dev.outpost.protocol.Lookup;
import dev.outpost.protocol.MissingBlocks;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.PathChange;
import dev.outpost.protocol.PathChanges;
import dev.outpost.protocol.ProtocolVersion;
import dev.outpost.protocol.PutBlock;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.ReadLink;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.SnapshotCreate;
import dev.outpost.protocol.SnapshotDelete;
import dev.outpost.protocol.SnapshotInfo;
import dev.outpost.protocol.SnapshotList;
import dev.outpost.protocol.Snapshots;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.protocol.Welcome;
import dev.outpost.transport.ConflictException;
import dev.outpost.transport.ReplyStream;
import dev.outpost.transport.RpcClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OriginServiceTest {
  @TempDir
  Path tmp;
  OriginFixture origin;
  final Random random = new Random(42);

  @BeforeEach
  void start() {
    origin = OriginFixture.start(tmp);
  }

  @AfterEach
  void stop() {
    origin.close();
  }

  private static FileAttr attr(Reply r) {
    assertThat(r).isInstanceOf(AttrReply.class);
    return ((AttrReply) r).attr();
  }

  private static ErrorCode codeOf(Runnable r) {
    try {
      r.run();
    } catch (OutpostException e) {
      return e.code();
    }
    throw new AssertionError("no error");
  }

  @Test
  void namespaceOperationsWorkOverTheWire() {
    RpcClient c = origin.connect(Mode.RW);
    Welcome w = c.welcome();
    assertThat(w.volume()).isEqualTo(OriginFixture.VOLUME);
    FileAttr dir = attr(call(c, new Mkdir("/docs", 0755)));
    assertThat(dir.type()).isEqualTo(FileType.DIRECTORY);
    FileAttr file = attr(call(c, new Create("/docs/a.txt", 0644, true)));
    assertThat(file.type()).isEqualTo(FileType.FILE);
    assertThat(attr(call(c, new GetAttr("", "/docs/a.txt"))).inode()).isEqualTo(file.inode());
    assertThat(attr(call(c, new Lookup("", dir.inode(), "a.txt"))).inode()).isEqualTo(file.inode());
    FileAttr link = attr(call(c, new Symlink("/docs/link", "a.txt")));
    assertThat(link.type()).isEqualTo(FileType.SYMLINK);
    assertThat(((LinkTarget) call(c, new ReadLink("", "/docs/link"))).target()).isEqualTo("a.txt");
    FileAttr changed = attr(call(c, new SetAttr("/docs/a.txt", OptionalInt.of(0600), OptionalLong.of(1234), OptionalLong.empty())));
    assertThat(changed.mode()).isEqualTo(0600);
    assertThat(changed.mtimeMillis()).isEqualTo(1234);
    assertThat(call(c, new Rename("/docs/a.txt", "/docs/b.txt"))).isInstanceOf(dev.outpost.protocol.Ok.class);
    DirPage page = (DirPage) call(c, new ReadDir("", "/docs", "", 100));
    assertThat(page.entries()).extracting(DirEntry::name).containsExactly("b.txt", "link");
    assertThat(codeOf(() -> call(c, new Rmdir("/docs")))).isEqualTo(ErrorCode.DIRECTORY_NOT_EMPTY);
    assertThat(codeOf(() -> call(c, new Create("/docs/b.txt", 0644, true)))).isEqualTo(ErrorCode.ALREADY_EXISTS);
    assertThat(codeOf(() -> call(c, new GetAttr("", "/nope")))).isEqualTo(ErrorCode.NOT_FOUND);
    call(c, new Unlink("/docs/b.txt"));
    call(c, new Unlink("/docs/link"));
    call(c, new Rmdir("/docs"));
    assertThat(codeOf(() -> call(c, new GetAttr("", "/docs")))).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(origin.server.metrics().count(OriginMetrics.OPS + "mkdir")).isEqualTo(1);
  }

  @Test
  void commitStoresContentAndAStaleBaseGetsConflictWithCurrentAttributes() {
    RpcClient c = origin.connect(Mode.RW);
    TestBlock b1 = block(random, 5000);
    TestBlock b2 = block(random, 7000);
    MissingBlocks missing = (MissingBlocks) call(c, new HasBlocks(List.of(b1.id(), b2.id())));
    assertThat(missing.missing()).containsExactlyInAnyOrder(b1.id(), b2.id());
    assertThat(codeOf(() -> call(c, new Commit("/f", 0, 0, Optional.of(b1.root()), 5000, 1, 0))))
        .isEqualTo(ErrorCode.MISSING_BLOCKS);
    upload(c, b1);
    upload(c, b2);
    assertThat(((MissingBlocks) call(c, new HasBlocks(List.of(b1.id(), b2.id())))).missing()).isEmpty();
    FileAttr v1 = attr(call(c, new Commit("/f", 0, 0, Optional.of(b1.root()), 5000, 1, 0)));
    assertThat(v1.root()).contains(b1.root());
    FileAttr v2 = attr(call(c, new Commit("/f", v1.inode(), v1.version(), Optional.of(b2.root()), 7000, 2, 0)));
    assertThat(v2.version()).isGreaterThan(v1.version());
    assertThatThrownBy(() -> call(c, new Commit("/f", v1.inode(), v1.version(), Optional.of(b1.root()), 5000, 3, 0)))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.current()).hasValueSatisfying(cur -> {
          assertThat(cur.version()).isEqualTo(v2.version());
          assertThat(cur.root()).contains(b2.root());
        }));
    assertThat(origin.server.metrics().count(OriginMetrics.CONFLICTS)).isEqualTo(1);
  }

  /**
   * A client that does not use the library (so nothing on its side stops it) claims a size past the volume's
   * maximum: the origin refuses the commit and the size change, and the file stays as it was.
   */
  @Test
  void aCommitOrSizeChangePastTheMaximumFileSizeIsRefusedFileTooLarge() {
    RpcClient c = origin.connect(Mode.RW);
    TestBlock b = block(random, 5000);
    upload(c, b);
    long tooLarge = dev.outpost.crypto.BlockFormat.MAX_FILE_BYTES + 1;
    assertThat(codeOf(() -> call(c, new Commit("/huge", 0, 0, Optional.of(b.root()), tooLarge, 1, 0))))
        .isEqualTo(ErrorCode.FILE_TOO_LARGE);
    assertThat(codeOf(() -> call(c, new Commit("/huge", 0, 0, Optional.of(b.root()), Long.MAX_VALUE, 1, 0))))
        .isEqualTo(ErrorCode.FILE_TOO_LARGE);
    assertThat(codeOf(() -> call(c, new GetAttr("", "/huge")))).isEqualTo(ErrorCode.NOT_FOUND);

    FileAttr v1 = attr(call(c, new Commit("/f", 0, 0, Optional.of(b.root()), 5000, 1, 0)));
    assertThat(codeOf(() -> call(c, new Commit("/f", v1.inode(), v1.version(), Optional.of(b.root()), tooLarge, 2, 0))))
        .isEqualTo(ErrorCode.FILE_TOO_LARGE);
    assertThat(codeOf(() -> call(c, new SetAttr("/f", OptionalInt.empty(), OptionalLong.empty(),
        OptionalLong.of(tooLarge))))).isEqualTo(ErrorCode.FILE_TOO_LARGE);
    FileAttr now = attr(call(c, new GetAttr("", "/f")));
    assertThat(now.version()).isEqualTo(v1.version());
    assertThat(now.size()).isEqualTo(5000);
  }

  @Test
  void putBlockWithWrongIdIsBlockCorruptAndNothingIsStored() {
    RpcClient c = origin.connect(Mode.RW);
    TestBlock b = block(random, 1000);
    BlockId wrong = block(random, 10).id();
    assertThat(codeOf(() -> call(c, new PutBlock(wrong, Unpooled.wrappedBuffer(b.bytes())))))
        .isEqualTo(ErrorCode.BLOCK_CORRUPT);
    assertThat(((MissingBlocks) call(c, new HasBlocks(List.of(wrong)))).missing()).containsExactly(wrong);
  }

  @Test
  void tokensAreCheckedAndAccessIsEnforced() {
    assertThat(codeOf(() -> origin.connect("opt1.not-a-token.x"))).isEqualTo(ErrorCode.UNAUTHORIZED);
    RpcClient ro = origin.connect(Mode.RO);
    OutpostException e = (OutpostException) catchThrown(() -> call(ro, new Mkdir("/x", 0755)));
    assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
    assertThat(e.getMessage()).contains("mkdir needs a write token");
    TestBlock b = block(random, 100);
    assertThat(codeOf(() -> call(ro, new PutBlock(b.id(), Unpooled.wrappedBuffer(b.bytes())))))
        .isEqualTo(ErrorCode.FORBIDDEN);
    assertThat(attr(call(ro, new GetAttr("", "/"))).type()).isEqualTo(FileType.DIRECTORY);
    RpcClient rw = origin.connect(Mode.RW);
    assertThat(codeOf(() -> call(rw, new SnapshotCreate("s1")))).isEqualTo(ErrorCode.FORBIDDEN);

    RpcClient shortLived = origin.connect(origin.token(Mode.RW, "brief", Duration.ofMinutes(1)));
    call(shortLived, new GetAttr("", "/"));
    origin.clock.advance(Duration.ofMinutes(2));
    assertThat(codeOf(() -> call(shortLived, new GetAttr("", "/")))).isEqualTo(ErrorCode.UNAUTHORIZED);
    String otherVolume = new OriginDataDir(origin.data).signer().sign(new dev.outpost.crypto.AccessToken("other",
        Mode.ADMIN, "x", origin.clock.instant(), origin.clock.instant().plusSeconds(60)));
    assertThat(codeOf(() -> origin.connect(otherVolume))).isEqualTo(ErrorCode.UNAUTHORIZED);
  }

  private static Throwable catchThrown(Runnable r) {
    try {
      r.run();
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("no error");
  }

  @Test
  void badPathOnTheWireIsInvalidPath() throws Exception {
    String token = origin.token(Mode.RW, "raw", Duration.ofHours(1));
    try (Socket s = new Socket("127.0.0.1", origin.address().getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      write(out, Frame.of(1, ProtocolVersion.hello("raw", token)));
      assertThat(read(in).message()).isInstanceOf(Welcome.class);
      byte[] bytes = encode(Frame.of(7, new GetAttr("", "/abc")));
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      int at = text.indexOf("/abc");
      assertThat(at).isPositive();
      System.arraycopy("/../".getBytes(StandardCharsets.ISO_8859_1), 0, bytes, at, 4);
      out.write(bytes);
      out.flush();
      Frame reply = read(in);
      assertThat(reply.requestId()).isEqualTo(7);
      assertThat(reply.message()).isInstanceOfSatisfying(ErrorReply.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH));
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

  private static void write(OutputStream out, Frame f) throws java.io.IOException {
    out.write(encode(f));
    out.flush();
  }

  private static Frame read(DataInputStream in) throws java.io.IOException {
    int length = in.readInt();
    assertThat(length).isBetween(1, 1 << 20);
    byte[] body = new byte[length];
    in.readFully(body);
    ByteBuf buf = Unpooled.wrappedBuffer(body);
    try {
      return Frames.decode(buf);
    } finally {
      buf.release();
    }
  }

  @Test
  void concurrentWritersToOneFileExactlyOneWinsPerBaseVersion() throws Exception {
    RpcClient setup = origin.connect(Mode.RW);
    TestBlock base = block(random, 100);
    upload(setup, base);
    FileAttr v = attr(call(setup, new Commit("/shared", 0, 0, Optional.of(base.root()), 100, 1, 0)));
    int writers = 6;
    List<RpcClient> clients = new ArrayList<>();
    List<TestBlock> blocks = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      RpcClient c = origin.connect(Mode.RW);
      TestBlock b = block(random, 200 + i);
      upload(c, b);
      clients.add(c);
      blocks.add(b);
    }
    for (int round = 0; round < 3; round++) {
      long baseVersion = v.version();
      List<CompletableFuture<Reply>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        TestBlock b = blocks.get(i);
        results.add(clients.get(i).call(new Commit("/shared", v.inode(), baseVersion, Optional.of(b.root()),
            b.bytes().length, round, 0)));
      }
      int wins = 0;
      int conflicts = 0;
      FileAttr winner = null;
      for (CompletableFuture<Reply> f : results) {
        try {
          winner = attr(f.get(10, TimeUnit.SECONDS));
          wins++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(ConflictException.class);
          conflicts++;
        }
      }
      assertThat(wins).isEqualTo(1);
      assertThat(conflicts).isEqualTo(writers - 1);
      v = winner;
    }
  }

  @Test
  void snapshotsCanBeCreatedListedReadAndTheirBlocksListed() {
    RpcClient admin = origin.connect(Mode.ADMIN);
    TestBlock b1 = block(random, 3000);
    TestBlock b2 = block(random, 4000);
    upload(admin, b1);
    upload(admin, b2);
    call(admin, new Mkdir("/d", 0755));
    FileAttr v1 = attr(call(admin, new Commit("/d/f", 0, 0, Optional.of(b1.root()), 3000, 1, 0)));
    Snapshots created = (Snapshots) call(admin, new SnapshotCreate("nightly-1"));
    assertThat(created.snapshots()).extracting(SnapshotInfo::name).containsExactly("nightly-1");
    call(admin, new Commit("/d/f", v1.inode(), v1.version(), Optional.of(b2.root()), 4000, 2, 0));
    assertThat(attr(call(admin, new GetAttr("nightly-1", "/d/f"))).root()).contains(b1.root());
    assertThat(attr(call(admin, new GetAttr("", "/d/f"))).root()).contains(b2.root());
    assertThat(((Snapshots) call(admin, new SnapshotList())).snapshots()).extracting(SnapshotInfo::name)
        .containsExactly("nightly-1");
    assertThat(listBlocks(admin, "nightly-1", "/")).containsExactly(b1.id());
    assertThat(listBlocks(admin, "", "/d")).containsExactly(b2.id());
    call(admin, new SnapshotDelete("nightly-1"));
    assertThat(((Snapshots) call(admin, new SnapshotList())).snapshots()).isEmpty();
    assertThat(codeOf(() -> call(admin, new GetAttr("nightly-1", "/d/f")))).isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void diffsBetweenSnapshotsComeInFramesWithinTheFrameLimit() throws Exception {
    origin.close();
    java.nio.file.Files.createDirectories(tmp.resolve("small-frames"));
    origin = OriginFixture.start(tmp.resolve("small-frames"), "maxFrameBytes: " + Frames.MIN_MAX_FRAME_BYTES + "\n",
        false);
    RpcClient admin = origin.connect(Mode.ADMIN);
    String deep = "";
    for (int i = 0; i < 15; i++) {
      deep += "/" + "d".repeat(249) + i;
      call(admin, new Mkdir(deep, 0755));
    }
    TestBlock kept = block(random, 2000);
    upload(admin, kept);
    call(admin, new Commit("/kept", 0, 0, Optional.of(kept.root()), 2000, 1, 0));
    call(admin, new SnapshotCreate("a"));
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String path = deep + "/" + "f".repeat(190) + i;
      call(admin, new Create(path, 0644, true));
      created.add(path);
    }
    TestBlock added = block(random, 3000);
    upload(admin, added);
    call(admin, new Commit("/added", 0, 0, Optional.of(added.root()), 3000, 1, 0));
    call(admin, new Commit("/copy", 0, 0, Optional.of(kept.root()), 2000, 1, 0));
    call(admin, new SnapshotCreate("b"));

    List<PathChanges> frames = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    admin.stream(0, new DiffPaths("a", "b", "/"), collect(frames, PathChanges.class, done));
    done.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(frames.size()).as("frames").isGreaterThan(2);
    for (PathChanges f : frames) {
      assertThat(f.changes().stream().mapToInt(PathChanges::wireBytes).sum()).isLessThan(Frames.MIN_MAX_FRAME_BYTES);
    }
    List<String> paths = frames.stream().flatMap(f -> f.changes().stream()).map(PathChange::path).toList();
    List<String> expected = new ArrayList<>(created);
    expected.addAll(List.of("/added", "/copy"));
    assertThat(paths).containsExactlyInAnyOrderElementsOf(expected);

    List<BlockRefs> refs = new ArrayList<>();
    CompletableFuture<Void> listed = new CompletableFuture<>();
    admin.stream(0, new DiffBlocks("a", "b", "/"), collect(refs, BlockRefs.class, listed));
    listed.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(refs.stream().flatMap(r -> r.refs().stream()).map(BlockRef::id)).containsExactly(added.id());
    assertThat(codeOf(() -> {
      CompletableFuture<Void> f = new CompletableFuture<>();
      admin.stream(0, new DiffBlocks("a", "gone", "/"), collect(new ArrayList<>(), BlockRefs.class, f));
      try {
        f.orTimeout(10, TimeUnit.SECONDS).join();
      } catch (java.util.concurrent.CompletionException e) {
        throw (OutpostException) e.getCause();
      }
    })).isEqualTo(ErrorCode.NOT_FOUND);
  }

  private static <T extends Reply> ReplyStream collect(List<T> into, Class<T> type, CompletableFuture<Void> done) {
    return new ReplyStream() {
      @Override
      public void onReply(Reply reply, boolean last) {
        into.add(type.cast(reply));
        if (last) {
          done.complete(null);
        }
      }

      @Override
      public void onError(OutpostException error) {
        done.completeExceptionally(error);
      }
    };
  }

  private static List<BlockId> listBlocks(RpcClient c, String snapshot, String prefix) {
    List<BlockId> ids = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    c.stream(0, new ListBlocks(snapshot, prefix), new ReplyStream() {
      @Override
      public void onReply(Reply reply, boolean last) {
        ((BlockRefs) reply).refs().stream().map(BlockRef::id).forEach(ids::add);
        if (last) {
          done.complete(null);
        }
      }

      @Override
      public void onError(OutpostException error) {
        done.completeExceptionally(error);
      }
    });
    done.orTimeout(10, TimeUnit.SECONDS).join();
    return ids;
  }

  @Test
  void manyBlocksArriveOverPipelinedGetBlocks() throws Exception {
    RpcClient c = origin.connect(Mode.RW);
    List<TestBlock> blocks = new ArrayList<>();
    List<CompletableFuture<Reply>> uploads = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      TestBlock b = block(random, 4096 + i);
      blocks.add(b);
      uploads.add(c.call(new PutBlock(b.id(), Unpooled.wrappedBuffer(b.bytes()))));
    }
    for (CompletableFuture<Reply> f : uploads) {
      assertThat(f.get(10, TimeUnit.SECONDS)).isInstanceOf(dev.outpost.protocol.Ok.class);
    }
    BlockId absent = block(random, 5).id();
    Set<BlockId> received = ConcurrentHashMap.newKeySet();
    Set<BlockId> missing = ConcurrentHashMap.newKeySet();
    AtomicInteger corrupt = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(4);
    for (int part = 0; part < 4; part++) {
      List<BlockId> ids = new ArrayList<>();
      for (int i = part * 50; i < part * 50 + 50; i++) {
        ids.add(blocks.get(i).id());
      }
      if (part == 0) {
        ids.add(absent);
      }
      c.stream(0, new GetBlocks(ids), new ReplyStream() {
        @Override
        public void onReply(Reply reply, boolean last) {
          try {
            switch (reply) {
              case BlockData d -> {
                byte[] bytes = ByteBufUtil.getBytes(d.cipher());
                if (!idOf(bytes).equals(d.id())) {
                  corrupt.incrementAndGet();
                }
                received.add(d.id());
              }
              case BlockMissing m -> missing.add(m.id());
              default -> corrupt.incrementAndGet();
            }
          } finally {
            ReferenceCountUtil.release(reply);
          }
          if (last) {
            done.countDown();
          }
        }

        @Override
        public void onError(OutpostException error) {
          corrupt.incrementAndGet();
          done.countDown();
        }
      });
    }
    assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(corrupt).hasValue(0);
    assertThat(received).hasSize(200);
    assertThat(missing).containsExactly(absent);
  }

  private static BlockId idOf(byte[] bytes) {
    try {
      return BlockId.of(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aReaderThatStopsReadingMakesTheServerStopProducing() throws Exception {
    RpcClient c = origin.connect(Mode.RW);
    List<BlockId> ids = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      TestBlock b = block(random, 256 * 1024);
      upload(c, b);
      ids.add(b.id());
    }
    // 1024 ids over 16 distinct 256 KiB blocks: 256 MiB if the server buffered it all.
    List<BlockId> request = new ArrayList<>();
    for (int i = 0; i < GetBlocks.MAX_IDS; i++) {
      request.add(ids.get(i % ids.size()));
    }
    String token = origin.token(Mode.RO, "slow", Duration.ofHours(1));
    OriginMetrics metrics = origin.server.metrics();
    long sentBefore = metrics.count(OriginMetrics.BLOCKS_SENT);
    try (Socket s = new Socket("127.0.0.1", origin.address().getPort())) {
      s.setReceiveBufferSize(64 * 1024);
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      write(out, Frame.of(1, ProtocolVersion.hello("slow", token)));
      assertThat(read(in).message()).isInstanceOf(Welcome.class);
      write(out, Frame.of(2, new GetBlocks(request)));
      // Not reading: the server must pause once its outbound buffer passes the high-water mark.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (metrics.count(OriginMetrics.STREAMS_PAUSED) == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(metrics.count(OriginMetrics.STREAMS_PAUSED)).isPositive();
      long sentWhilePaused = metrics.count(OriginMetrics.BLOCKS_SENT) - sentBefore;
      // High-water mark 4 MiB + socket buffers: a few dozen 256 KiB blocks at most, never all 1024.
      assertThat(sentWhilePaused).isLessThan(100);
      // Reading again drains the stream completely.
      int frames = 0;
      boolean last = false;
      while (!last) {
        int length = in.readInt();
        in.skipNBytes(length);
        frames++;
        last = frames == GetBlocks.MAX_IDS;
      }
      assertThat(frames).isEqualTo(GetBlocks.MAX_IDS);
      assertThat(metrics.count(OriginMetrics.BLOCKS_SENT) - sentBefore).isEqualTo(GetBlocks.MAX_IDS);
    }
  }
}
