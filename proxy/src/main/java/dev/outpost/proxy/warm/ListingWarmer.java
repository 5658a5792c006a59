package dev.outpost.proxy.warm;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.Reply;
import dev.outpost.proxy.attrs.OriginAttrs;
import dev.outpost.transport.Errors;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A warm job's listing phase: every directory under the job's paths of the <em>live</em> volume (what clients
 * will read, whichever snapshot the blocks came from) is listed into the attribute cache, each page with its
 * entries' attributes, through {@link OriginAttrs}, the path the tree walk look-ahead uses. So the listings are
 * cached exactly as a client's READDIR miss would be: served while the change subscription is live, dropped by
 * change events like any other entry, and an answer overtaken by an invalidation is not kept (it is asked again,
 * up to {@value #RACE_RETRIES} times). The attributes of each job path and of the directories above it are asked
 * too (a client stats its way down); nothing outside the paths is listed.
 *
 * <p>Up to {@value #IN_FLIGHT} requests are in flight, so a tree costs about its depth in round trips, not one per
 * directory. Answers arrive on the origin link's event loop and are only queued there; the walk itself runs on the
 * caller's thread. Thread-safe: each {@link #warm} keeps its own state.
 */
public final class ListingWarmer {
  /** Listings (or GETATTRs) in flight per job. */
  static final int IN_FLIGHT = 32;
  /** Times an answer raced by an invalidation is asked again before the walk moves on without caching it. */
  static final int RACE_RETRIES = 2;
  /** Stop requests are noticed within this. */
  private static final long POLL_MILLIS = 200;

  private final OriginAttrs origin;
  private final long timeoutMillis;

  /** @param timeoutMillis the longest the origin may leave every request in flight unanswered */
  public ListingWarmer(OriginAttrs origin, long timeoutMillis) {
    this.origin = origin;
    this.timeoutMillis = timeoutMillis;
  }

  private sealed interface Task permits Attr, Page {}

  /** GETATTR of a job path ({@code root}: listed if a directory) or of a directory above one. */
  private record Attr(String path, boolean root, int attempt) implements Task {}

  private record Page(String dir, String startAfter, int attempt) implements Task {}

  private sealed interface Answer permits AttrAnswer, PageAnswer {}

  private record AttrAnswer(Attr task, OriginAttrs.Fetched<Reply> fetched, Throwable error) implements Answer {}

  private record PageAnswer(Page task, OriginAttrs.Fetched<DirPage> fetched, Throwable error) implements Answer {}

  /**
   * Lists every directory under {@code paths} into the attribute cache. Blocks the caller until done or until
   * {@code stop} is set (requests in flight then still complete and are cached).
   *
   * @param onDirListed run on the caller's thread for each directory whose every page is now cached (fetched now,
   *     or found cached)
   * @throws OutpostException UNAVAILABLE if the origin is lost or answers nothing for the timeout; any other
   *     error of the origin's but NOT_FOUND / NOT_A_DIRECTORY (the tree changed under the walk: skipped)
   */
  public void warm(List<String> paths, BooleanSupplier stop, Runnable onDirListed) {
    new Walk(stop, onDirListed).run(paths);
  }

  /** One run's state, touched only by the caller's thread (answers reach it through {@link #answers}). */
  private final class Walk {
    private final BooleanSupplier stop;
    private final Runnable onDirListed;
    private final ArrayDeque<Task> todo = new ArrayDeque<>();
    private final Set<String> dirsQueued = new HashSet<>();
    private final LinkedBlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    private int inFlight;

    Walk(BooleanSupplier stop, Runnable onDirListed) {
      this.stop = stop;
      this.onDirListed = onDirListed;
    }

    void run(List<String> paths) {
      Map<String, Boolean> attrs = new LinkedHashMap<>(); // path -> is a job path
      for (String p : paths) {
        String above = p;
        while (!above.equals(VolumePath.ROOT)) {
          above = VolumePath.parent(above);
          attrs.putIfAbsent(above, false);
        }
      }
      paths.forEach(p -> attrs.put(p, true));
      attrs.forEach((path, root) -> todo.add(new Attr(path, root, 0)));

      long silentSinceNanos = System.nanoTime();
      while (!stop.getAsBoolean()) {
        startWhatFits();
        if (inFlight == 0) {
          return; // startWhatFits leaves nothing queued when nothing is in flight
        }
        Answer a;
        try {
          a = answers.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new OutpostException(ErrorCode.UNAVAILABLE, "interrupted while listing directories", e);
        }
        if (a == null) {
          if (System.nanoTime() - silentSinceNanos > TimeUnit.MILLISECONDS.toNanos(timeoutMillis)) {
            throw new OutpostException(ErrorCode.UNAVAILABLE, "the origin answered no directory listing for "
                + timeoutMillis + " ms");
          }
          continue;
        }
        silentSinceNanos = System.nanoTime();
        inFlight--;
        switch (a) {
          case AttrAnswer r -> {
            if (r.error() != null) {
              skipIfTreeChanged(r.task().path(), r.error());
            } else if (!r.fetched().kept() && r.task().attempt() < RACE_RETRIES) {
              todo.add(new Attr(r.task().path(), r.task().root(), r.task().attempt() + 1));
            } else {
              attrKnown(r.task(), r.fetched().answer());
            }
          }
          case PageAnswer r -> {
            if (r.error() != null) {
              skipIfTreeChanged(r.task().dir(), r.error());
            } else if (!r.fetched().kept() && r.task().attempt() < RACE_RETRIES) {
              todo.add(new Page(r.task().dir(), r.task().startAfter(), r.task().attempt() + 1));
            } else {
              pageKnown(r.task(), r.fetched().answer());
            }
          }
        }
      }
    }

    /** Serves what the cache holds at once and sends the rest while fewer than IN_FLIGHT are out. */
    private void startWhatFits() {
      while (inFlight < IN_FLIGHT && !todo.isEmpty() && !stop.getAsBoolean()) {
        switch (todo.poll()) {
          case Attr t -> {
            Optional<Reply> hit = origin.cachedAttr(t.path());
            if (hit.isPresent()) {
              attrKnown(t, hit.get());
            } else {
              inFlight++;
              origin.attr(t.path()).whenComplete((f, err) -> answers.add(new AttrAnswer(t, f, err)));
            }
          }
          case Page t -> {
            Optional<DirPage> hit = origin.cachedPage(t.dir(), t.startAfter());
            if (hit.isPresent()) {
              pageKnown(t, hit.get());
            } else {
              inFlight++;
              origin.listPage(t.dir(), t.startAfter()).whenComplete((f, err) -> answers.add(new PageAnswer(t, f, err)));
            }
          }
        }
      }
    }

    private void attrKnown(Attr t, Reply answer) {
      if (t.root() && answer instanceof AttrReply a && a.attr().type() == FileType.DIRECTORY) {
        queueDir(t.path());
      }
    }

    private void pageKnown(Page t, DirPage page) {
      for (DirEntry e : page.entries()) {
        if (e.attr().type() == FileType.DIRECTORY) {
          queueDir(VolumePath.join(t.dir(), e.name()));
        }
      }
      if (page.more() && !page.entries().isEmpty()) {
        todo.add(new Page(t.dir(), page.entries().getLast().name(), 0));
      } else {
        onDirListed.run();
      }
    }

    private void queueDir(String dir) {
      if (dirsQueued.add(dir)) {
        todo.add(new Page(dir, "", 0));
      }
    }

    private static void skipIfTreeChanged(String path, Throwable error) {
      OutpostException e = Errors.unwrap(error);
      if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.NOT_A_DIRECTORY) {
        return; // removed or replaced since its parent was listed: the change event drops what referred to it
      }
      throw new OutpostException(e.code(), "listing " + path + ": " + e.getMessage(), e);
    }
  }
}
