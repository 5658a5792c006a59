package dev.outpost.proxy.writeback;

import dev.outpost.core.BlockId;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.Frames;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Reply;
import dev.outpost.proxy.attrs.AttrCache;
import dev.outpost.proxy.metrics.ProxyMetrics;
import dev.outpost.store.WriteTxn;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's durable write-back log (ADR 0004; proxy/README.md "Write-back log"): mutations applied to the
 * branch's view by the origin's rules ({@link LocalRules}) and appended, in one synced transaction per group of
 * them, before their clients are answered; the overlay every client of the branch reads through; the blocks
 * uploaded while logging; the answers given to clients' operation ids; conflict records; inode numbers reserved
 * at the origin for entries made here.
 *
 * <p>Bounded: the log's encoded records by {@code maxLogBytes}, stored blocks by {@code maxBlockBytes}; past
 * them a write fails NO_SPACE saying so ("write-back log full ..."), and nothing logged is ever dropped.
 *
 * <p>Threads: every change runs on the log's one writer thread ({@link GroupCommit}); reads of the overlay run on
 * the caller's thread from memory. Futures complete on the writer thread: chain nothing blocking to them.
 */
public final class WriteBackLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WriteBackLog.class);
  /** Client operation answers kept per client originator, as the origin keeps its window. */
  static final int CLIENT_OP_WINDOW = OperationId.WINDOW;
  /** Ask the origin for more inodes when fewer than this are left. */
  public static final long INODES_LOW = 16_384;

  /** Who made a change: the token's subject and the token, to replay as them. */
  public record Writer(String subject, String token) {
    @Override
    public String toString() {
      return "Writer[" + subject + "]"; // never the token
    }
  }

  /** How an append ended (a refusal completes the future exceptionally with its OutpostException). */
  public sealed interface Outcome {
    /** Answer the client with this (logged and synced, or nothing to change). */
    record Answered(Reply reply) implements Outcome {}

    /** The branch does not know these paths: ask the origin, then append again with the answers. */
    record Ask(Set<String> attrs, Set<String> listings) implements Outcome {}

    /** A directory rename: not logged (wait for the log to drain and forward, or refuse while cut off). */
    record DirectoryRename() implements Outcome {}
  }

  /** A change the branch's own subscribers hear of at once. */
  public record LocalChange(ChangeKind kind, long inode, String path, String fromPath, long version) {}

  /** What the status report shows. */
  public record Status(long records, long bytes, long maxBytes, long blocks, long blockBytes, long maxBlockBytes,
      Optional<Instant> oldest, long conflicts, long inodesLeft) {}

  private final WriteBackStore store;
  private final GroupCommit<Staging> writer;
  private final Overlay overlay = new Overlay();
  private final Headquarters headquarters;
  private final long maxLogBytes;
  private final long maxBlockBytes;
  private final LongSupplier downSinceMillis;
  private final Clock clock;
  private final ProxyMetrics metrics;
  private final long originator;
  /** Records in the log when it was opened: they may have reached the origin, so they are never coalesced. */
  private final long openedAtSeq;
  private final ReplayClaims claims = new ReplayClaims();
  private final List<Consumer<LocalChange>> changeListeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> appendListeners = new CopyOnWriteArrayList<>();
  /** Paths of conflict records, with how many. */
  private final Map<String, Integer> conflictedPaths = new ConcurrentHashMap<>();
  // Published state: changed by the writer after each commit.
  private volatile long nextSeq;
  private volatile long logBytes;
  private volatile long records;
  private volatile long blockBytes;
  private volatile long blocks;
  private volatile long oldestLoggedAtMillis;
  private volatile TreeMap<Long, Long> inodes;

  private WriteBackLog(WriteBackStore store, Headquarters headquarters, long maxLogBytes, long maxBlockBytes,
      LongSupplier downSinceMillis, Clock clock, ProxyMetrics metrics) {
    this.store = store;
    this.headquarters = headquarters;
    this.maxLogBytes = maxLogBytes;
    this.maxBlockBytes = maxBlockBytes;
    this.downSinceMillis = downSinceMillis;
    this.clock = clock;
    this.metrics = metrics;
    long[] loaded = store.storage.read(txn -> {
      long[] v = new long[5];
      v[0] = store.meta(txn, WriteBackStore.META_ORIGINATOR);
      v[1] = store.meta(txn, WriteBackStore.META_NEXT_SEQ);
      v[2] = store.meta(txn, WriteBackStore.META_LOG_BYTES);
      v[3] = store.log.count(txn);
      v[4] = store.log.first(txn).map(e -> e.value().loggedAtMillis()).orElse(0L);
      store.overlay.scan(txn, dev.outpost.store.Table.Direction.FORWARD, (p, row) -> {
        overlay.put(p, Optional.of(row));
        return true;
      });
      store.conflicts.scan(txn, dev.outpost.store.Table.Direction.FORWARD, (s, c) -> {
        conflictedPaths.merge(c.path(), 1, Integer::sum);
        return true;
      });
      return v;
    });
    this.originator = loaded[0];
    this.nextSeq = loaded[1];
    this.openedAtSeq = loaded[1] - 1;
    this.logBytes = loaded[2];
    this.records = loaded[3];
    this.oldestLoggedAtMillis = loaded[4];
    this.blockBytes = store.blocks.bytes();
    this.blocks = store.blocks.count();
    this.inodes = store.storage.read(txn -> {
      TreeMap<Long, Long> m = new TreeMap<>();
      store.inodeRanges.scan(txn, dev.outpost.store.Table.Direction.FORWARD, (first, end) -> {
        m.put(first, end);
        return true;
      });
      return m;
    });
    this.writer = new GroupCommit<>(store.storage, this::newStaging, this::publish);
    metrics.gauge(ProxyMetrics.WRITEBACK_RECORDS, () -> records);
    metrics.gauge(ProxyMetrics.WRITEBACK_BYTES, () -> logBytes);
    metrics.gauge(ProxyMetrics.WRITEBACK_BLOCKS, () -> blocks);
    metrics.gauge(ProxyMetrics.WRITEBACK_BLOCK_BYTES, () -> blockBytes);
    metrics.gauge(ProxyMetrics.WRITEBACK_OLDEST_AGE_SECONDS, this::oldestAgeSeconds);
    metrics.gauge(ProxyMetrics.WRITEBACK_CONFLICTS, this::conflictCount);
    if (records > 0 || !conflictedPaths.isEmpty()) {
      log.info("write-back log: {} operations ({} bytes) to replay, {} blocks ({} bytes), {} conflicts", records,
          logBytes, blocks, blockBytes, conflictCount());
    }
  }

  /**
   * Opens the log under {@code cacheDir} ({@code writeback/}).
   *
   * @param attrs what the branch knows of headquarters
   * @param cacheTrusted true while {@code attrs} may be believed (subscription live, or the link down)
   * @param downSinceMillis when the link to the origin was lost (0 = up), for the "log full" message
   */
  public static WriteBackLog open(Path cacheDir, long maxLogBytes, long maxBlockBytes, AttrCache attrs,
      BooleanSupplier cacheTrusted, LongSupplier downSinceMillis, Clock clock, ProxyMetrics metrics) {
    // Room for both bounds plus LMDB's page overhead and the small tables.
    long map = Math.min(dev.outpost.store.StorageConfig.MAX_MAP_BYTES,
        2 * (maxLogBytes + maxBlockBytes) + (64L << 20));
    WriteBackStore store = WriteBackStore.open(cacheDir, map);
    try {
      return new WriteBackLog(store, new Headquarters(attrs, cacheTrusted), maxLogBytes, maxBlockBytes,
          downSinceMillis, clock, metrics);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** This proxy's originator: replayed operations without a client id are numbered (originator, seq). */
  public long originator() {
    return originator;
  }

  /** True when no operation waits for replay (conflicts do not count). */
  public boolean isEmpty() {
    return records == 0;
  }

  /** Operations waiting for replay. */
  public long records() {
    return records;
  }

  /**
   * True if a change of {@code paths} must be logged to keep order: the overlay holds one of them or a directory
   * above one (an operation on it is still to be replayed, or is held with a conflict).
   */
  public boolean touches(Collection<String> paths) {
    for (String p : paths) {
      for (String q = p; ; q = VolumePath.parent(q)) {
        if (overlay.row(q).isPresent()) {
          return true;
        }
        if (q.equals(VolumePath.ROOT)) {
          break;
        }
      }
    }
    return false;
  }

  /** Called with every local change once its operation is durable (on the writer thread; do not block). */
  public void onLocalChange(Consumer<LocalChange> listener) {
    changeListeners.add(listener);
  }

  /** Called after every commit that added operations to the log (on the writer thread; do not block). */
  public void onAppend(Runnable listener) {
    appendListeners.add(listener);
  }

  // ---- mutations ----

  /**
   * Applies {@code m} to the branch's view and logs it, answering once it is durable.
   *
   * @param cutOff true while the link is down: what the branch does not know is OFFLINE, or (a creation in a
   *     known directory) applied optimistically; false: the caller asks the origin ({@link Outcome.Ask})
   * @param answers what the origin told about paths an earlier {@link Outcome.Ask} named
   * @return completes with the outcome, or exceptionally with the refusal (as the origin would refuse, OFFLINE,
   *     NO_SPACE when the log is full)
   */
  public CompletableFuture<Outcome> append(Mutation m, Writer who, boolean cutOff, Headquarters.Answers answers) {
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    List<Long> claimed = new CopyOnWriteArrayList<>();
    writer.submit(new GroupCommit.Task<Staging, Object>() {
      @Override
      public Object apply(WriteTxn txn, Staging staging) {
        return appendIn(txn, staging, m, who, cutOff, answers, claimed, true);
      }

      @Override
      public void committed(Object r) {
        if (r instanceof OutpostException e) {
          result.completeExceptionally(e);
        } else {
          result.complete((Outcome) r);
        }
      }

      @Override
      public void failed(OutpostException error) {
        claims.undrop(claimed);
        result.completeExceptionally(error);
      }
    });
    return result;
  }

  /** The append's work in the batch's transaction; a refusal is returned (not thrown) so the batch commits. */
  private Object appendIn(WriteTxn txn, Staging staging, Mutation m, Writer who, boolean cutOff,
      Headquarters.Answers answers, List<Long> claimed, boolean mayDrop) {
    OperationId clientOp = m.op();
    if (!clientOp.isNone()) {
      Optional<Reply> earlier = clientReply(txn, staging, clientOp, m);
      if (earlier.isPresent()) {
        return new Outcome.Answered(earlier.get());
      }
    }
    long now = clock.millis();
    BranchView view = new View(staging, answers);
    // Decided as it will be replayed: under the client's id, or this proxy's originator and the next seq.
    Mutation asLogged = clientOp.isNone() ? m.withOp(new OperationId(originator, staging.nextSeq)) : m;
    LocalRules.Decision d = LocalRules.decide(asLogged, view, new LocalRules.Context() {
      @Override
      public boolean cutOff() {
        return cutOff;
      }

      @Override
      public long nowMillis() {
        return now;
      }

      @Override
      public OptionalLong nextInode() {
        return takeInode(txn, staging);
      }

      @Override
      public Optional<OverlayRow> row(String path) {
        return rowOf(staging, path);
      }

      @Override
      public boolean droppable(long seq, String path) {
        if (!mayDrop || seq <= openedAtSeq || !claims.unsent(seq)) {
          return false;
        }
        return store.log.get(txn, seq).map(r -> r.paths().size() == 1 && r.paths().get(0).equals(path))
            .orElse(false);
      }
    });
    return switch (d) {
      case LocalRules.Decision.Refuse r -> r.error();
      case LocalRules.Decision.Ask a -> new Outcome.Ask(a.attrs(), a.listings());
      case LocalRules.Decision.DirectoryRename r -> new Outcome.DirectoryRename();
      case LocalRules.Decision.Answer a -> new Outcome.Answered(a.reply());
      case LocalRules.Decision.Apply a -> {
        if (!a.dropped().isEmpty() && !claimed.containsAll(a.dropped())) {
          if (!claims.drop(a.dropped())) {
            // The replayer sent one of them meanwhile: it may reach the origin, so log the removal after all.
            yield appendIn(txn, staging, m, who, cutOff, answers, claimed, false);
          }
          claimed.addAll(a.dropped());
        }
        yield applyIn(txn, staging, m, who, a, now);
      }
    };
  }

  private Object applyIn(WriteTxn txn, Staging staging, Mutation m, Writer who, LocalRules.Decision.Apply a,
      long now) {
    long seq = 0;
    if (a.logged().isPresent()) {
      seq = staging.nextSeq;
      LogRecord record = new LogRecord(seq, a.logged().get(), m.op(), who.subject(), who.token(), a.base(), now);
      long size = WriteBackStore.size(record);
      if (staging.logBytes + size > maxLogBytes) {
        return full();
      }
      store.log.put(txn, seq, record);
      staging.nextSeq = seq + 1;
      staging.logBytes += size;
      staging.records++;
      if (staging.records == 1) {
        staging.oldestLoggedAtMillis = now;
      }
      store.putMeta(txn, WriteBackStore.META_NEXT_SEQ, staging.nextSeq);
      store.putMeta(txn, WriteBackStore.META_LOG_BYTES, staging.logBytes);
    }
    if (!a.dropped().isEmpty()) {
      for (long s : a.dropped()) {
        store.log.get(txn, s).ifPresent(r -> {
          staging.logBytes -= WriteBackStore.size(r);
          staging.records--;
        });
        store.log.delete(txn, s);
        staging.removed.add(s);
      }
      store.putMeta(txn, WriteBackStore.META_LOG_BYTES, staging.logBytes);
      metrics.writeBackCoalesced(a.dropped().size() + 1);
    }
    for (Map.Entry<String, Optional<OverlayEntry>> e : a.entries().entrySet()) {
      String path = e.getKey();
      Optional<OverlayRow> next;
      if (e.getValue().isEmpty()) {
        next = Optional.empty();
      } else {
        OverlayRow before = rowOf(staging, path).orElse(new OverlayRow(e.getValue().get(), List.of()));
        next = Optional.of(before.then(e.getValue().get(), seq));
      }
      putRow(txn, staging, path, next);
    }
    if (!m.op().isNone()) {
      recordClientOp(txn, staging, m, a.reply(), now);
    }
    staging.changes.addAll(a.changes());
    return new Outcome.Answered(a.reply());
  }

  private OutpostException full() {
    long down = downSinceMillis.getAsLong();
    return new OutpostException(ErrorCode.NO_SPACE, "write-back log full (" + mib(logBytes) + " MiB of "
        + mib(maxLogBytes) + " MiB)" + (down > 0 ? ": the link to headquarters has been down since "
        + Instant.ofEpochMilli(down) : ": replay to headquarters has not caught up"));
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1048576.0);
  }

  // ---- client operation ids ----

  private Optional<Reply> clientReply(WriteTxn txn, Staging staging, OperationId op, Mutation m) {
    Reply staged = staging.clientOps.get(op);
    if (staged != null) {
      return Optional.of(staged);
    }
    return store.clientOps.get(txn, new StoredForms.ClientOpKey(op.originator(), op.seq()))
        .filter(c -> c.requestType() == Frames.typeNumber(m.getClass()))
        .map(StoredForms.ClientOp::reply);
  }

  private void recordClientOp(WriteTxn txn, Staging staging, Mutation m, Reply reply, long now) {
    OperationId op = m.op();
    staging.clientOps.put(op, reply);
    store.clientOps.put(txn, new StoredForms.ClientOpKey(op.originator(), op.seq()),
        new StoredForms.ClientOp(Frames.typeNumber(m.getClass()), reply, now));
    long keepAbove = op.seq() - CLIENT_OP_WINDOW;
    if (keepAbove < 1) {
      return;
    }
    List<StoredForms.ClientOpKey> old = new ArrayList<>();
    store.clientOps.scanFrom(txn, new StoredForms.ClientOpKey(op.originator(), 0),
        dev.outpost.store.Table.Direction.FORWARD, (k, v) -> {
          if (k.originator() != op.originator() || k.seq() > keepAbove) {
            return false;
          }
          old.add(k);
          return true;
        });
    old.forEach(k -> store.clientOps.delete(txn, k));
  }

  // ---- inodes ----

  /** Inode numbers left for entries made here. */
  public long inodesLeft() {
    long n = 0;
    for (Map.Entry<Long, Long> e : inodes.entrySet()) {
      n += e.getValue() - e.getKey();
    }
    return n;
  }

  /** Keeps a range the origin reserved for this proxy's originator. */
  public CompletableFuture<Void> addInodes(InodeRange range) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    writer.submit(new GroupCommit.Task<Staging, Void>() {
      @Override
      public Void apply(WriteTxn txn, Staging staging) {
        staging.inodes.put(range.first(), range.end());
        store.inodeRanges.put(txn, range.first(), range.end());
        return null;
      }

      @Override
      public void committed(Void result) {
        done.complete(null);
      }

      @Override
      public void failed(OutpostException error) {
        done.completeExceptionally(error);
      }
    });
    return done;
  }

  private OptionalLong takeInode(WriteTxn txn, Staging staging) {
    Map.Entry<Long, Long> first = staging.inodes.firstEntry();
    if (first == null) {
      return OptionalLong.empty();
    }
    long inode = first.getKey();
    staging.inodes.remove(inode);
    store.inodeRanges.delete(txn, inode);
    if (inode + 1 < first.getValue()) {
      staging.inodes.put(inode + 1, first.getValue());
      store.inodeRanges.put(txn, inode + 1, first.getValue());
    }
    return OptionalLong.of(inode);
  }

  // ---- blocks ----

  /**
   * Stores an uploaded block durably (it is replayed to the origin before the commits that need it).
   *
   * @throws OutpostException NO_SPACE (through the future) when {@code maxBlockBytes} would be passed
   */
  public CompletableFuture<Void> putBlock(BlockId id, byte[] cipher) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    writer.submit(new GroupCommit.Task<Staging, Object>() {
      @Override
      public Object apply(WriteTxn txn, Staging staging) {
        if (store.blocks.contains(txn, id)) {
          return null;
        }
        if (staging.blockBytes + cipher.length > maxBlockBytes) {
          long down = downSinceMillis.getAsLong();
          return new OutpostException(ErrorCode.NO_SPACE, "write-back blocks full (" + mib(staging.blockBytes)
              + " MiB of " + mib(maxBlockBytes) + " MiB)" + (down > 0 ? ": the link to headquarters has been down"
              + " since " + Instant.ofEpochMilli(down) : ": replay to headquarters has not caught up"));
        }
        store.blocks.put(txn, id, ByteBuffer.wrap(cipher));
        staging.blockBytes += cipher.length;
        staging.blocks++;
        return null;
      }

      @Override
      public void committed(Object r) {
        if (r instanceof OutpostException e) {
          done.completeExceptionally(e);
        } else {
          done.complete(null);
        }
      }

      @Override
      public void failed(OutpostException error) {
        done.completeExceptionally(error);
      }
    });
    return done;
  }

  /** True if the log holds the block (one short read transaction). */
  public boolean hasBlock(BlockId id) {
    return blocks > 0 && store.blocks.contains(id);
  }

  /** The block's ciphertext, if the log holds it. */
  public Optional<byte[]> block(BlockId id) {
    if (blocks == 0) {
      return Optional.empty();
    }
    return store.blocks.withBlock(id, b -> {
      byte[] out = new byte[b.remaining()];
      b.duplicate().get(out);
      return out;
    });
  }

  // ---- reads through the overlay ----

  /**
   * The branch's answer to GETATTR of {@code path} when the overlay decides it: its attributes, or NOT_FOUND for a
   * path removed here; empty when the overlay does not hold the path (ask the attribute cache or the origin).
   */
  public Optional<Reply> attr(String path) {
    return overlay.row(path).map(row -> switch (row.entry()) {
      case OverlayEntry.Present p -> new AttrReply(p.attr());
      case OverlayEntry.Whiteout w -> new ErrorReply(ErrorCode.NOT_FOUND, "no such file or directory: " + path);
    });
  }

  /** True if the overlay changes the listing of {@code dir} (entries made or removed under it here). */
  public boolean changesListing(String dir) {
    return !overlay.childNames(dir).isEmpty()
        || overlay.row(dir).map(r -> r.entry() instanceof OverlayEntry.Present p && p.createdHere()).orElse(false);
  }

  /**
   * The whole listing of {@code dir} as the branch sees it (headquarters' listing, from the attribute cache or
   * {@code answers}, minus what was removed here plus what was made here), in name order; empty if headquarters'
   * listing is not known.
   */
  public Optional<List<DirEntry>> listing(String dir, Headquarters.Answers answers) {
    return new View(null, answers).listing(dir);
  }

  // ---- the view rules decide against ----

  private Optional<OverlayRow> rowOf(Staging staging, String path) {
    if (staging != null) {
      Optional<OverlayRow> staged = staging.rows.get(path);
      if (staged != null) {
        return staged;
      }
    }
    return overlay.row(path);
  }

  private void putRow(WriteTxn txn, Staging staging, String path, Optional<OverlayRow> row) {
    staging.rows.put(path, row);
    if (row.isPresent()) {
      store.overlay.put(txn, path, row.get());
    } else {
      store.overlay.delete(txn, path);
    }
  }

  /** Overlay (staged, then published) over headquarters. */
  private final class View implements BranchView {
    private final Staging staging;
    private final Headquarters.Answers answers;

    View(Staging staging, Headquarters.Answers answers) {
      this.staging = staging;
      this.answers = answers;
    }

    @Override
    public PathState state(String path) {
      Optional<OverlayRow> row = rowOf(staging, path);
      if (row.isPresent()) {
        return switch (row.get().entry()) {
          case OverlayEntry.Present p -> new PathState.Present(p.attr(), p.createdHere());
          case OverlayEntry.Whiteout w -> PathState.ABSENT;
        };
      }
      return atHeadquarters(path);
    }

    @Override
    public PathState atHeadquarters(String path) {
      if (!path.equals(VolumePath.ROOT) && madeHere(VolumePath.parent(path))) {
        return PathState.ABSENT; // its directory does not exist there yet
      }
      return headquarters.state(path, answers);
    }

    private boolean madeHere(String dir) {
      Optional<OverlayRow> row = rowOf(staging, dir);
      return row.isPresent() && row.get().entry() instanceof OverlayEntry.Present p && p.createdHere();
    }

    @Override
    public Optional<List<DirEntry>> listing(String dir) {
      TreeMap<String, DirEntry> entries = new TreeMap<>(VolumePath.NAME_ORDER);
      if (!madeHere(dir)) {
        Optional<List<DirEntry>> base = headquarters.listing(dir, answers);
        if (base.isEmpty()) {
          return Optional.empty();
        }
        base.get().forEach(e -> entries.put(e.name(), e));
      }
      java.util.NavigableSet<String> names = new java.util.TreeSet<>(VolumePath.NAME_ORDER);
      names.addAll(overlay.childNames(dir));
      if (staging != null) {
        for (String p : staging.rows.keySet()) {
          if (!p.equals(VolumePath.ROOT) && VolumePath.parent(p).equals(dir)) {
            names.add(VolumePath.name(p));
          }
        }
      }
      for (String name : names) {
        String path = VolumePath.join(dir, name);
        Optional<OverlayRow> row = rowOf(staging, path);
        if (row.isEmpty()) {
          continue;
        }
        switch (row.get().entry()) {
          case OverlayEntry.Present p -> entries.put(name, new DirEntry(name, p.attr()));
          case OverlayEntry.Whiteout w -> entries.remove(name);
        }
      }
      return Optional.of(List.copyOf(entries.values()));
    }
  }

  // ---- staging and publishing ----

  private Staging newStaging() {
    return new Staging(nextSeq, logBytes, records, blockBytes, blocks, inodes, oldestLoggedAtMillis);
  }

  private void publish(Staging s) {
    for (Map.Entry<String, Optional<OverlayRow>> e : s.rows.entrySet()) {
      overlay.put(e.getKey(), e.getValue());
    }
    long before = nextSeq;
    nextSeq = s.nextSeq;
    logBytes = s.logBytes;
    records = s.records;
    blockBytes = s.blockBytes;
    blocks = s.blocks;
    oldestLoggedAtMillis = s.records == 0 ? 0 : s.oldestLoggedAtMillis;
    inodes = s.inodes;
    claims.forget(s.removed);
    for (LocalChange c : s.changes) {
      for (Consumer<LocalChange> l : changeListeners) {
        try {
          l.accept(c);
        } catch (RuntimeException e) {
          log.warn("local change listener failed", e);
        }
      }
    }
    if (nextSeq != before) {
      appendListeners.forEach(Runnable::run);
    }
  }

  // ---- status ----

  public Status status() {
    long oldest = oldestLoggedAtMillis;
    return new Status(records, logBytes, maxLogBytes, blocks, blockBytes, maxBlockBytes,
        oldest == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(oldest)), conflictCount(), inodesLeft());
  }

  private long oldestAgeSeconds() {
    long oldest = oldestLoggedAtMillis;
    return oldest == 0 ? 0 : Math.max(0, (clock.millis() - oldest) / 1000);
  }

  private long conflictCount() {
    long n = 0;
    for (int c : conflictedPaths.values()) {
      n += c;
    }
    return n;
  }

  /** Paths that have overlay rows (tests, status). */
  Set<String> overlayPaths() {
    return overlay.paths();
  }

  WriteBackStore store() {
    return store;
  }

  ReplayClaims claims() {
    return claims;
  }

  @Override
  public void close() {
    writer.close();
    store.close();
  }
}
