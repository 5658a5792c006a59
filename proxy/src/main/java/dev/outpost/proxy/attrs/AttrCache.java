package dev.outpost.proxy.attrs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.outpost.core.VolumePath;
import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.proxy.metrics.ProxyMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Attributes (GETATTR) and directory pages (READDIR, readdir-plus) of the live volume, per path, kept while the
 * proxy's change subscription is unbroken. Entries are dropped by change events (path, parent listing, the old
 * path of a rename, whole subtrees for directory renames and removals), by writes made through the proxy
 * before their reply reaches the client (read-your-writes), and all at once on RESYNC.
 *
 * <p>Races: an answer fetched from the origin is cached only if no invalidation happened between asking and
 * answering ({@link #epoch}); otherwise a stale answer overtaken by an event could stay forever. Thread-safe.
 */
public final class AttrCache {
  /** A directory page is cached per position: the name it starts after and the page size asked for. */
  public record PageKey(String startAfter, int maxEntries) {}

  /** What is known of one path: its attributes, or a NOT_FOUND answer (a negative entry). */
  private static final class Node {
    volatile Reply attr;
    final Map<PageKey, DirPage> pages = new ConcurrentHashMap<>();
  }

  private final Cache<String, Node> nodes;
  private final ProxyMetrics metrics;
  private final AtomicLong epoch = new AtomicLong();
  private volatile Consumer<String> invalidationHook = p -> { };

  public AttrCache(long maxEntries, Executor executor, ProxyMetrics metrics) {
    this.nodes = Caffeine.newBuilder().maximumSize(maxEntries).executor(executor).build();
    this.metrics = metrics;
  }

  /** A number that changes with every invalidation: take it before asking the origin, pass it to put. */
  public long epoch() {
    return epoch.get();
  }

  /**
   * The cached answer to GETATTR of {@code path}: an {@link AttrReply}, or an {@link ErrorReply} NOT_FOUND. A
   * negative entry is sound because whatever later creates the path (create, mkdir, symlink, rename onto it or
   * onto a directory above it) emits an event for the path or an ancestor's subtree, which drops it.
   */
  public Optional<Reply> attr(String path) {
    Node n = nodes.getIfPresent(path);
    return n == null ? Optional.empty() : Optional.ofNullable(n.attr);
  }

  public Optional<DirPage> page(String path, PageKey key) {
    Node n = nodes.getIfPresent(path);
    return n == null ? Optional.empty() : Optional.ofNullable(n.pages.get(key));
  }

  /**
   * Every entry of {@code dir} from the pages cached for it, when they chain from the first name to the last (any
   * page size); empty if a page is missing. Readdir-plus: each entry carries its attributes.
   */
  public Optional<List<DirEntry>> listing(String dir) {
    Node n = nodes.getIfPresent(dir);
    if (n == null) {
      return Optional.empty();
    }
    List<DirEntry> out = new ArrayList<>();
    String after = "";
    // Each page ends further on, so the chain ends; the bound only guards against a page that does not.
    for (int pages = 0; pages <= n.pages.size(); pages++) {
      DirPage page = null;
      for (Map.Entry<PageKey, DirPage> e : n.pages.entrySet()) {
        if (e.getKey().startAfter().equals(after)) {
          page = e.getValue();
          break;
        }
      }
      if (page == null) {
        return Optional.empty();
      }
      out.addAll(page.entries());
      if (!page.more()) {
        return Optional.of(out);
      }
      if (page.entries().isEmpty()) {
        return Optional.empty();
      }
      after = page.entries().get(page.entries().size() - 1).name();
    }
    return Optional.empty();
  }

  /** Caches an answer unless something was invalidated since {@code epochBefore}. */
  public void putAttr(String path, Reply attr, long epochBefore) {
    if (!(attr instanceof AttrReply) && !(attr instanceof ErrorReply e && e.code() == ErrorCode.NOT_FOUND)) {
      throw new IllegalArgumentException("only attributes or NOT_FOUND are cached, not " + attr);
    }
    Node n = nodes.get(path, p -> new Node());
    n.attr = attr;
    if (epoch.get() != epochBefore) {
      n.attr = null; // an invalidation raced this answer: it may be stale
    }
  }

  public void putPage(String path, PageKey key, DirPage page, long epochBefore) {
    Node n = nodes.get(path, p -> new Node());
    n.pages.put(key, page);
    if (epoch.get() != epochBefore) {
      n.pages.remove(key);
    }
  }

  /**
   * Caches a READDIR page of {@code dir} and, readdir-plus, each entry's attributes (a tree walk then learns a
   * whole directory in one round trip), under the same epoch rule as {@link #putPage} and {@link #putAttr}. The
   * one way every listing from the origin is cached: a client's miss, the look-ahead and warm jobs.
   *
   * @return false if an invalidation since {@code epochBefore} may have dropped (some of) it
   */
  public boolean putListing(String dir, PageKey key, DirPage page, long epochBefore) {
    putPage(dir, key, page, epochBefore);
    for (DirEntry e : page.entries()) {
      putAttr(VolumePath.join(dir, e.name()), new AttrReply(e.attr()), epochBefore);
    }
    return epoch.get() == epochBefore;
  }

  /** Drops what a change event makes stale. */
  public void apply(ChangeEvent e) {
    metrics.invalidation();
    List<String> paths = new ArrayList<>(List.of(e.path()));
    boolean subtree = e.kind() == ChangeKind.REMOVED || e.kind() == ChangeKind.RENAMED;
    if (e.kind() == ChangeKind.RENAMED) {
      paths.add(e.fromPath());
    }
    invalidatePaths(paths, subtree);
  }

  /**
   * Drops each path, its parent's listing and attributes (readdir-plus carries the entry; a directory's mtime
   * moves with its entries) and the grandparent's listing (which carries the parent's attributes); with
   * {@code subtree}, also everything below each path.
   */
  public void invalidatePaths(List<String> paths, boolean subtree) {
    epoch.incrementAndGet();
    for (String p : paths) {
      drop(p);
      String parent = VolumePath.parent(p);
      drop(parent);
      drop(VolumePath.parent(parent));
      if (subtree && !p.equals(VolumePath.ROOT)) {
        nodes.asMap().keySet().removeIf(k -> VolumePath.isUnder(k, p));
      }
    }
    epoch.incrementAndGet();
  }

  /** Drops everything (RESYNC). */
  public void invalidateAll() {
    epoch.incrementAndGet();
    nodes.invalidateAll();
    epoch.incrementAndGet();
  }

  /** Paths with something cached. */
  public long size() {
    return nodes.estimatedSize();
  }

  /** Called with each dropped path (tests measure invalidation latency with it). */
  public void onInvalidate(Consumer<String> hook) {
    this.invalidationHook = hook;
  }

  private void drop(String path) {
    nodes.invalidate(path);
    invalidationHook.accept(path);
  }
}
