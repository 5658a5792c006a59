package dev.outpost.protocol;

import dev.outpost.core.BlockRef;
import dev.outpost.core.BlockId;
import dev.outpost.core.RootRef;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Arbitrary valid messages of every type. Block payloads are unpooled heap buffers wrapping fresh arrays:
 * the tests retain and release them like any owned buffer.
 */
final class MessageArbitraries {
  private MessageArbitraries() {}

  /** One arbitrary per message class, covering every type (checked by a test). */
  static Map<Class<? extends Message>, Arbitrary<? extends Message>> byType() {
    Map<Class<? extends Message>, Arbitrary<? extends Message>> m = new LinkedHashMap<>();
    Arbitrary<String> text = text();
    Arbitrary<String> path = paths();
    Arbitrary<String> snap = snapshots();
    Arbitrary<Long> anyLong = Arbitraries.longs();
    Arbitrary<Long> positive = Arbitraries.longs().greaterOrEqual(1);
    Arbitrary<Long> nonNegative = Arbitraries.longs().greaterOrEqual(0);
    Arbitrary<Integer> nonZero = Arbitraries.integers().filter(i -> i != 0);
    Arbitrary<Integer> mode = Arbitraries.integers().between(0, 07777);

    m.put(Hello.class, Combinators.combine(Arbitraries.integers().between(1, 0xFFFF), Arbitraries.integers()
        .between(0, 100), text, text).as((min, extra, a, t) -> new Hello(min, Math.min(0xFFFF, min + extra), a, t)));
    m.put(Welcome.class, Combinators.combine(Arbitraries.integers().between(1, 0xFFFF), text, text, nonNegative,
        anyLong).as(Welcome::new));
    m.put(Attach.class, text.map(Attach::new));
    m.put(Attached.class, nonZero.map(Attached::new));
    m.put(Detach.class, nonZero.map(Detach::new));
    m.put(Ping.class, anyLong.map(Ping::new));
    m.put(Pong.class, anyLong.map(Pong::new));
    m.put(Ok.class, Arbitraries.just(new Ok()));
    m.put(ErrorReply.class, Combinators.combine(Arbitraries.of(dev.outpost.core.ErrorCode.class), text,
        fileAttrs().optional()).as(ErrorReply::new));

    m.put(GetAttr.class, Combinators.combine(snap, path).as(GetAttr::new));
    m.put(Lookup.class, Combinators.combine(snap, positive, names()).as(Lookup::new));
    m.put(ReadDir.class, Combinators.combine(snap, path, Arbitraries.oneOf(Arbitraries.just(""), names()),
        Arbitraries.integers().between(1, ReadDir.MAX_ENTRIES)).as(ReadDir::new));
    Arbitrary<OperationId> op = operationIds();
    m.put(Create.class, Combinators.combine(path, mode, Arbitraries.of(true, false), nonNegative, nonNegative, op)
        .as((p, md, excl, ino, lease, id) -> new Create(p, md, excl, id.isNone() ? 0 : ino, lease, id)));
    m.put(Mkdir.class, Combinators.combine(path, mode, nonNegative, nonNegative, op)
        .as((p, md, ino, lease, id) -> new Mkdir(p, md, id.isNone() ? 0 : ino, lease, id)));
    m.put(Unlink.class, Combinators.combine(path, nonNegative, op).as(Unlink::new));
    m.put(Rmdir.class, Combinators.combine(path, nonNegative, op).as(Rmdir::new));
    m.put(Rename.class, Combinators.combine(path, path, nonNegative, op).as(Rename::new));
    m.put(SetAttr.class, Combinators.combine(path, mode.optional(), anyLong.optional(), nonNegative.optional(),
        nonNegative, op).as((p, md, mt, sz, lease, id) -> new SetAttr(p,
            md.map(OptionalInt::of).orElseGet(OptionalInt::empty),
            mt.map(OptionalLong::of).orElseGet(OptionalLong::empty),
            sz.map(OptionalLong::of).orElseGet(OptionalLong::empty), lease, id)));
    m.put(Symlink.class, Combinators.combine(path, linkTargets(), nonNegative, nonNegative, op)
        .as((p, t, ino, lease, id) -> new Symlink(p, t, id.isNone() ? 0 : ino, lease, id)));
    m.put(ReserveInodes.class, Combinators.combine(anyLong.filter(v -> v != 0),
        Arbitraries.integers().between(1, ReserveInodes.MAX_COUNT)).as(ReserveInodes::new));
    m.put(InodeRange.class, Combinators.combine(positive.filter(v -> v < Long.MAX_VALUE / 2),
        Arbitraries.integers().between(1, ReserveInodes.MAX_COUNT)).as(InodeRange::new));
    m.put(ReadLink.class, Combinators.combine(snap, path).as(ReadLink::new));
    Arbitrary<Long> staleSince = staleSince();
    m.put(AttrReply.class, Combinators.combine(fileAttrs(), staleSince).as(AttrReply::new));
    m.put(DirPage.class, Combinators.combine(dirEntries().list().ofMaxSize(20), Arbitraries.of(true, false),
        staleSince).as(DirPage::new));
    m.put(LinkTarget.class, Combinators.combine(linkTargets(), staleSince).as(LinkTarget::new));

    m.put(GetBlocks.class, blockIds().list().ofMinSize(1).ofMaxSize(40).map(GetBlocks::new));
    m.put(HasBlocks.class, blockIds().list().ofMinSize(1).ofMaxSize(40).map(HasBlocks::new));
    m.put(MissingBlocks.class, blockIds().list().ofMaxSize(40).map(MissingBlocks::new));
    m.put(PutBlock.class, Combinators.combine(blockIds(), payloads()).as(PutBlock::new));
    m.put(BlockData.class, Combinators.combine(blockIds(), payloads()).as(BlockData::new));
    m.put(BlockMissing.class, blockIds().map(BlockMissing::new));

    m.put(Commit.class, Combinators.combine(path, nonNegative, nonNegative, rootRefs().optional(), nonNegative,
        anyLong, nonNegative, op).as((p, ino, base, root, size, mtime, lease, id) ->
            new Commit(p, ino, base, root, root.isPresent() ? size : 0, mtime, lease, id)));
    m.put(LeaseAcquire.class, Combinators.combine(path, Arbitraries.of(LeaseMode.class), Arbitraries.of(true, false),
        positive).as(LeaseAcquire::new));
    m.put(LeaseGrant.class, Combinators.combine(path, Arbitraries.of(LeaseMode.class), positive, anyLong)
        .as(LeaseGrant::new));
    m.put(LeaseRenew.class, Combinators.combine(path, positive, positive).as(LeaseRenew::new));
    m.put(LeaseRelease.class, Combinators.combine(path, positive).as(LeaseRelease::new));
    m.put(LeaseRecall.class, Combinators.combine(path, positive).as(LeaseRecall::new));
    m.put(LeaseList.class, Combinators.combine(path, nonNegative, Arbitraries.integers().between(1,
        LeaseList.MAX_ENTRIES)).as(LeaseList::new));
    m.put(Leases.class, Combinators.combine(leaseInfos().list().ofMaxSize(10), Arbitraries.of(true, false),
        staleSince).as(Leases::new));

    m.put(Subscribe.class, Combinators.combine(nonNegative, path).as(Subscribe::new));
    m.put(SubscribeAck.class, nonNegative.map(SubscribeAck::new));
    m.put(ChangeEvent.class, Combinators.combine(positive, positive, path, path, nonNegative,
        Arbitraries.of(ChangeKind.class)).as((seq, ino, p, from, v, kind) ->
            new ChangeEvent(seq, ino, p, kind == ChangeKind.RENAMED ? from : "", v, kind)));
    m.put(Resync.class, nonNegative.map(Resync::new));
    m.put(Unsubscribe.class, nonZero.map(Unsubscribe::new));

    m.put(SnapshotList.class, Arbitraries.just(new SnapshotList()));
    m.put(Snapshots.class, snapshotInfos().list().ofMaxSize(10).map(Snapshots::new));
    m.put(SnapshotCreate.class, snapshotNames().map(SnapshotCreate::new));
    m.put(SnapshotDelete.class, snapshotNames().map(SnapshotDelete::new));
    m.put(ListBlocks.class, Combinators.combine(snap, path).as(ListBlocks::new));
    m.put(BlockRefs.class, blockRefs().list().ofMaxSize(40).map(BlockRefs::new));
    m.put(DiffBlocks.class, Combinators.combine(snap, snap, path).as(DiffBlocks::new));
    m.put(DiffPaths.class, Combinators.combine(snap, snap, path).as(DiffPaths::new));
    m.put(PathChanges.class, pathChanges().list().ofMaxSize(20).map(PathChanges::new));
    return m;
  }

  static Arbitrary<LeaseInfo> leaseInfos() {
    return Combinators.combine(paths(), Arbitraries.of(LeaseMode.class), Arbitraries.of(true, false),
        Arbitraries.longs().greaterOrEqual(1), text(), Arbitraries.longs(), Arbitraries.of(true, false))
        .as(LeaseInfo::new);
  }

  /** Any message, every type equally likely. */
  static Arbitrary<Message> messages() {
    List<Arbitrary<? extends Message>> all = List.copyOf(byType().values());
    return Arbitraries.oneOf(all);
  }

  /** A frame with header values valid for its message. */
  static Arbitrary<Frame> frames() {
    return Combinators.combine(messages(), Arbitraries.integers(), Arbitraries.integers(), Arbitraries.of(0, 1))
        .as((msg, requestId, session, flags) -> {
          int id = msg instanceof LeaseRecall ? 0 : (msg instanceof Request && requestId == 0 ? 1 : requestId);
          return new Frame(id, session, flags, msg);
        });
  }

  /** Strings that fit the wire: letters, Latin-1, CJK, NUL-free, plus a surrogate pair now and then. */
  static Arbitrary<String> text() {
    Arbitrary<String> plain = Arbitraries.strings().withCharRange('a', 'z').withCharRange(' ', '~')
        .withCharRange('\u00e0', '\u00ff').withCharRange('\u4e00', '\u4e20').ofMaxLength(40);
    return Arbitraries.oneOf(plain, plain.map(s -> s + "\uD83D\uDE00"));
  }

  /** Valid path components. */
  static Arbitrary<String> names() {
    Arbitrary<String> plain = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z')
        .withCharRange('0', '9').withChars("._- ~%").withCharRange('\u00e0', '\u00ff').withCharRange('\u4e00', '\u4e20')
        .ofMinLength(1).ofMaxLength(16).filter(s -> !s.equals(".") && !s.equals(".."));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, plain),
        net.jqwik.api.Tuple.of(1, plain.map(s -> s + "\uD83D\uDE00")),
        net.jqwik.api.Tuple.of(1, Arbitraries.strings().withCharRange('a', 'z').ofLength(255)));
  }

  /** Valid volume paths, the root included. */
  static Arbitrary<String> paths() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(1, Arbitraries.just("/")),
        net.jqwik.api.Tuple.of(9, names().list().ofMinSize(1).ofMaxSize(6).map(l -> "/" + String.join("/", l))));
  }

  static Arbitrary<String> snapshotNames() {
    return Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').withCharRange('0', '9')
        .withChars("._-").ofMinLength(1).ofMaxLength(64).filter(s -> !s.equals(".") && !s.equals(".."));
  }

  /** "" (live) or a snapshot name. */
  static Arbitrary<String> snapshots() {
    return Arbitraries.oneOf(Arbitraries.just(""), snapshotNames());
  }

  static Arbitrary<String> linkTargets() {
    return Arbitraries.oneOf(paths(), names(), names().map(n -> "../" + n));
  }

  /** NONE now and then, otherwise any non-zero originator with any positive sequence. */
  static Arbitrary<OperationId> operationIds() {
    Arbitrary<OperationId> set = Combinators.combine(Arbitraries.longs().filter(o -> o != 0),
        Arbitraries.longs().greaterOrEqual(1)).as(OperationId::new);
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, Arbitraries.just(OperationId.NONE)),
        net.jqwik.api.Tuple.of(4, set));
  }

  /** Mostly 0 (current), otherwise a time since the epoch. */
  static Arbitrary<Long> staleSince() {
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(2, Arbitraries.just(0L)),
        net.jqwik.api.Tuple.of(1, Arbitraries.longs().greaterOrEqual(1)));
  }

  static Arbitrary<BlockId> blockIds() {
    return Arbitraries.bytes().array(byte[].class).ofSize(BlockId.BYTES).map(BlockId::of);
  }

  static Arbitrary<RootRef> rootRefs() {
    return Combinators.combine(blockIds(), Arbitraries.integers().between(0, RootRef.MAX_DEPTH),
        Arbitraries.integers().greaterOrEqual(1),
        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(RootRef.MAX_WRAPPED_KEY_BYTES))
        .as(RootRef::new);
  }

  static Arbitrary<FileAttr> fileAttrs() {
    return Combinators.combine(Arbitraries.longs().greaterOrEqual(1), Arbitraries.of(FileType.class),
        Arbitraries.integers().between(0, 07777), Arbitraries.longs().greaterOrEqual(0), Arbitraries.longs(),
        Arbitraries.longs().greaterOrEqual(0), rootRefs().optional(), linkTargets())
        .as((inode, type, mode, size, mtime, version, root, target) -> new FileAttr(inode, type, mode, size, mtime,
            version, type == FileType.FILE ? root : Optional.empty(), type == FileType.SYMLINK ? target : ""));
  }

  static Arbitrary<DirEntry> dirEntries() {
    return Combinators.combine(names(), fileAttrs()).as(DirEntry::new);
  }

  static Arbitrary<PathChange> pathChanges() {
    return Combinators.combine(Arbitraries.of(ChangeKind.class), Arbitraries.longs().greaterOrEqual(1),
        Arbitraries.of(FileType.class), paths(), paths())
        .as((kind, inode, type, p, from) -> new PathChange(kind, inode, type, p, kind == ChangeKind.RENAMED ? from : ""));
  }

  static Arbitrary<SnapshotInfo> snapshotInfos() {
    return Combinators.combine(snapshotNames(), Arbitraries.longs().greaterOrEqual(0), Arbitraries.longs())
        .as(SnapshotInfo::new);
  }

  static Arbitrary<BlockRef> blockRefs() {
    return Combinators.combine(blockIds(), Arbitraries.integers().between(1, Frames.MAX_BLOCK_BYTES))
        .as(BlockRef::new);
  }

  /** Mostly small payloads, sometimes the largest allowed. */
  static Arbitrary<ByteBuf> payloads() {
    Arbitrary<byte[]> small = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(600);
    Arbitrary<byte[]> largest = Arbitraries.bytes().map(b -> {
      byte[] a = new byte[Frames.MAX_BLOCK_BYTES];
      java.util.Arrays.fill(a, b);
      return a;
    });
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(30, small), net.jqwik.api.Tuple.of(1, largest))
        .map(Unpooled::wrappedBuffer);
  }
}
