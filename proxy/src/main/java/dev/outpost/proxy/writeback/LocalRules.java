package dev.outpost.proxy.writeback;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.ChangeKind;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Mutation;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.transport.ConflictException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import dev.outpost.proxy.writeback.WriteBackLog.LocalChange;

/**
 * The origin's rules for each mutation, checked against the branch's view ({@link BranchView}: the overlay over
 * the attribute cache) instead of the origin's tree, so a change can be answered at the branch and logged.
 * The attributes it gives a change are the ones the origin will give it at replay (same versions: created
 * entries start at 1, every change of an entry adds one; created entries get inodes reserved at the origin), so
 * what clients of the branch hold stays valid after replay.
 *
 * <ul>
 *   <li>The parent of a new entry must be a directory; an exclusive create of an existing name is ALREADY_EXISTS;
 *       a commit against another version than the branch's is CONFLICT with the branch's attributes; rmdir of a
 *       directory with entries is DIRECTORY_NOT_EMPTY; and so on, as the origin answers.
 *   <li>What the branch does not know: while connected, the caller asks the origin ({@link Decision.Ask}) and
 *       decides again; while cut off, a creation in a known directory is applied optimistically (a clash at
 *       headquarters becomes a conflict at replay) and anything else fails OFFLINE.
 *   <li>Directories are not renamed at the branch ({@link Decision.DirectoryRename}): a rename moves a whole
 *       subtree the branch may know only part of.
 *   <li>What cancels out: removing an entry whose whole history is unsent creations and changes of it made here
 *       drops that history instead of logging the removal ({@link Decision.Apply#dropped}).
 * </ul>
 *
 * <p>Pure: no I/O, no state; thread-safe.
 */
final class LocalRules {
  private LocalRules() {}

  /** What the caller supplies besides the view. */
  interface Context {
    /** True while cut off from the origin: unknown paths are not asked for. */
    boolean cutOff();

    long nowMillis();

    /** The next reserved inode for a new entry; empty when none is left. */
    OptionalLong nextInode();

    /** The overlay row of {@code path}, if any (for what cancels out). */
    Optional<OverlayRow> row(String path);

    /** True if the operation with log sequence {@code seq} may be dropped: never sent, and only about one path. */
    boolean droppable(long seq, String path);
  }

  /** What to do with a mutation. */
  sealed interface Decision {
    /**
     * Answer {@code reply}; change the overlay ({@code entries}: a path to its new entry, or to empty to drop
     * its row with its history); log {@code logged} (empty: nothing to replay) against {@code base}; tell local
     * subscribers {@code changes}; drop the unsent operations {@code dropped}.
     */
    record Apply(Reply reply, Map<String, Optional<OverlayEntry>> entries, Optional<Mutation> logged, Base base,
        List<LocalChange> changes, List<Long> dropped) implements Decision {}

    /** Nothing changes (e.g. a non-exclusive create of an existing file): answer this. */
    record Answer(Reply reply) implements Decision {}

    /** Refused as the origin would refuse it. */
    record Refuse(OutpostException error) implements Decision {}

    /** The branch does not know these: ask the origin (attributes, whole listings), then decide again. */
    record Ask(Set<String> attrs, Set<String> listings) implements Decision {}

    /** A directory rename: not done at the branch. */
    record DirectoryRename() implements Decision {}
  }

  /** Thrown inside a decision for what is not known; turned into Ask or OFFLINE. */
  private static final class NotKnown extends RuntimeException {
    final String path;
    final boolean listing;

    NotKnown(String path, boolean listing) {
      super(null, null, false, false);
      this.path = path;
      this.listing = listing;
    }
  }

  static Decision decide(Mutation m, BranchView view, Context ctx) {
    try {
      return switch (m) {
        case Create c -> create(c, view, ctx);
        case Mkdir c -> mkdir(c, view, ctx);
        case Symlink c -> symlink(c, view, ctx);
        case Unlink u -> unlink(u, view, ctx);
        case Rmdir r -> rmdir(r, view, ctx);
        case Rename r -> rename(r, view, ctx);
        case SetAttr s -> setAttr(s, view, ctx);
        case Commit c -> commit(c, view, ctx);
      };
    } catch (NotKnown n) {
      if (ctx.cutOff()) {
        return new Decision.Refuse(offline(n.path, n.listing));
      }
      return n.listing ? new Decision.Ask(Set.of(), Set.of(n.path)) : new Decision.Ask(Set.of(n.path), Set.of());
    } catch (OutpostException e) {
      return new Decision.Refuse(e);
    }
  }

  /** The one OFFLINE message of the branch for a path it does not hold. */
  static OutpostException offline(String path, boolean listing) {
    return new OutpostException(ErrorCode.OFFLINE, "offline: " + (listing ? "the listing of " : "") + path
        + " is not cached at this branch");
  }

  // ---- creations ----

  private static Decision create(Create c, BranchView view, Context ctx) {
    String path = c.path();
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(c.exclusive() ? ErrorCode.ALREADY_EXISTS : ErrorCode.IS_A_DIRECTORY,
          "the root directory exists");
    }
    requireDirectory(VolumePath.parent(path), path, view);
    PathState target = stateForCreation(path, view, ctx);
    if (target instanceof PathState.Present p) {
      if (c.exclusive()) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists: " + path);
      }
      if (p.attr().type() == FileType.DIRECTORY) {
        throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "is a directory: " + path);
      }
      if (p.attr().type() != FileType.FILE) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists as a " + p.attr().type() + ": " + path);
      }
      return new Decision.Answer(new AttrReply(p.attr()));
    }
    long inode = inode(ctx, path);
    FileAttr attr = new FileAttr(inode, FileType.FILE, c.mode(), 0, ctx.nowMillis(), 1, Optional.empty(), "");
    return created(path, attr, new Create(path, c.mode(), c.exclusive(), inode, c.leaseToken(), c.op()), view,
        target);
  }

  private static Decision mkdir(Mkdir c, BranchView view, Context ctx) {
    String path = c.path();
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.ALREADY_EXISTS, "the root directory exists");
    }
    requireDirectory(VolumePath.parent(path), path, view);
    PathState target = stateForCreation(path, view, ctx);
    if (target instanceof PathState.Present) {
      throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists: " + path);
    }
    long inode = inode(ctx, path);
    FileAttr attr = new FileAttr(inode, FileType.DIRECTORY, c.mode(), 0, ctx.nowMillis(), 1, Optional.empty(), "");
    return created(path, attr, new Mkdir(path, c.mode(), inode, c.leaseToken(), c.op()), view, target);
  }

  private static Decision symlink(Symlink c, BranchView view, Context ctx) {
    String path = c.path();
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.ALREADY_EXISTS, "the root directory exists");
    }
    requireDirectory(VolumePath.parent(path), path, view);
    PathState target = stateForCreation(path, view, ctx);
    if (target instanceof PathState.Present) {
      throw new OutpostException(ErrorCode.ALREADY_EXISTS, "already exists: " + path);
    }
    long inode = inode(ctx, path);
    long size = c.target().getBytes(StandardCharsets.UTF_8).length;
    FileAttr attr = new FileAttr(inode, FileType.SYMLINK, 0777, size, ctx.nowMillis(), 1, Optional.empty(),
        c.target());
    return created(path, attr, new Symlink(path, c.target(), inode, c.leaseToken(), c.op()), view, target);
  }

  /** The target of a creation: unknown is taken as absent while cut off (optimistic), asked for otherwise. */
  private static PathState stateForCreation(String path, BranchView view, Context ctx) {
    PathState s = view.state(path);
    if (s instanceof PathState.Unknown) {
      if (!ctx.cutOff()) {
        throw new NotKnown(path, false);
      }
      return PathState.UNKNOWN;
    }
    return s;
  }

  private static Decision created(String path, FileAttr attr, Mutation logged, BranchView view, PathState before) {
    Base base = before instanceof PathState.Unknown ? Base.UNKNOWN : baseOf(path, view);
    return new Decision.Apply(new AttrReply(attr), Map.of(path, Optional.of(new OverlayEntry.Present(attr, true))),
        Optional.of(logged), base, List.of(new LocalChange(ChangeKind.CREATED, attr.inode(), path, "",
            attr.version())), List.of());
  }

  private static long inode(Context ctx, String path) {
    return ctx.nextInode().orElseThrow(() -> new OutpostException(ErrorCode.NO_SPACE,
        "no inode numbers left at this branch to create " + path + " (they are reserved at headquarters while the"
            + " link is up)"));
  }

  // ---- removals ----

  private static Decision unlink(Unlink u, BranchView view, Context ctx) {
    String path = u.path();
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot unlink the root directory");
    }
    FileAttr attr = existing(path, view);
    if (attr.type() == FileType.DIRECTORY) {
      throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "is a directory (use rmdir): " + path);
    }
    return removed(path, attr, u, view, ctx);
  }

  private static Decision rmdir(Rmdir r, BranchView view, Context ctx) {
    String path = r.path();
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot remove the root directory");
    }
    FileAttr attr = existing(path, view);
    if (attr.type() != FileType.DIRECTORY) {
      throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + path);
    }
    if (!view.listing(path).orElseThrow(() -> new NotKnown(path, true)).isEmpty()) {
      throw new OutpostException(ErrorCode.DIRECTORY_NOT_EMPTY, "directory not empty: " + path);
    }
    return removed(path, attr, r, view, ctx);
  }

  private static Decision removed(String path, FileAttr attr, Mutation m, BranchView view, Context ctx) {
    LocalChange change = new LocalChange(ChangeKind.REMOVED, attr.inode(), path, "", attr.version());
    Optional<OverlayRow> row = ctx.row(path);
    if (row.isPresent() && row.get().entry() instanceof OverlayEntry.Present p && p.createdHere()
        && !row.get().seqs().isEmpty() && row.get().seqs().stream().allMatch(s -> ctx.droppable(s, path))) {
      // Made here and never sent: headquarters never hears of it.
      return new Decision.Apply(new Ok(), Map.of(path, Optional.empty()), Optional.empty(), Base.ABSENT,
          List.of(change), row.get().seqs());
    }
    return new Decision.Apply(new Ok(), Map.of(path, Optional.of(OverlayEntry.WHITEOUT)), Optional.of(m),
        baseOf(path, view), List.of(change), List.of());
  }

  // ---- rename ----

  private static Decision rename(Rename r, BranchView view, Context ctx) {
    String from = r.from();
    String to = r.to();
    if (from.equals(VolumePath.ROOT) || to.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot rename to or from the root directory");
    }
    FileAttr source = existing(from, view);
    if (source.type() == FileType.DIRECTORY) {
      return new Decision.DirectoryRename();
    }
    requireDirectory(VolumePath.parent(to), to, view);
    if (from.equals(to)) {
      return new Decision.Answer(new Ok());
    }
    PathState target = view.state(to);
    if (target instanceof PathState.Unknown && !ctx.cutOff()) {
      throw new NotKnown(to, false);
    }
    Map<String, Optional<OverlayEntry>> entries = new LinkedHashMap<>();
    List<LocalChange> changes = new java.util.ArrayList<>();
    if (target instanceof PathState.Present p) {
      if (p.attr().type() == FileType.DIRECTORY) {
        throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot replace directory " + to + " with " + from);
      }
      changes.add(new LocalChange(ChangeKind.REMOVED, p.attr().inode(), to, "", p.attr().version()));
    }
    boolean createdHere = view.state(from) instanceof PathState.Present p && p.createdHere();
    entries.put(from, Optional.of(OverlayEntry.WHITEOUT));
    entries.put(to, Optional.of(new OverlayEntry.Present(source, createdHere)));
    changes.add(new LocalChange(ChangeKind.RENAMED, source.inode(), to, from, source.version()));
    return new Decision.Apply(new Ok(), entries, Optional.of(r), baseOf(to, view), changes, List.of());
  }

  // ---- changes of an entry ----

  private static Decision setAttr(SetAttr s, BranchView view, Context ctx) {
    String path = s.path();
    if (s.size().isPresent() && s.size().getAsLong() != 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "setAttr only truncates to size 0 (got " + s.size().getAsLong() + "); other sizes are written by a commit");
    }
    FileAttr attr = existing(path, view);
    if (s.mode().isEmpty() && s.mtimeMillis().isEmpty() && s.size().isEmpty()) {
      return new Decision.Answer(new AttrReply(attr));
    }
    if (s.size().isPresent()) {
      if (attr.type() == FileType.DIRECTORY) {
        throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot truncate a directory: " + path);
      }
      if (attr.type() != FileType.FILE) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot truncate a " + attr.type() + ": " + path);
      }
    }
    int mode = s.mode().orElse(attr.mode());
    long mtime = s.mtimeMillis().orElse(s.size().isPresent() ? ctx.nowMillis() : attr.mtimeMillis());
    FileAttr updated = s.size().isPresent()
        ? new FileAttr(attr.inode(), attr.type(), mode, 0, mtime, attr.version() + 1, Optional.empty(),
            attr.linkTarget())
        : new FileAttr(attr.inode(), attr.type(), mode, attr.size(), mtime, attr.version() + 1, attr.root(),
            attr.linkTarget());
    return changed(path, updated, s, view, s.size().isPresent() ? ChangeKind.MODIFIED : ChangeKind.ATTRS);
  }

  private static Decision commit(Commit c, BranchView view, Context ctx) {
    String path = c.path();
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "cannot commit to the root directory");
    }
    requireDirectory(VolumePath.parent(path), path, view);
    PathState s = view.state(path);
    if (s instanceof PathState.Unknown) {
      throw new NotKnown(path, false);
    }
    if (s instanceof PathState.Absent) {
      if (c.baseVersion() != 0 || c.inode() != 0) {
        throw new ConflictException("base version " + c.baseVersion() + " of " + path
            + " but the file no longer exists", Optional.empty());
      }
      long inode = inode(ctx, path);
      FileAttr attr = new FileAttr(inode, FileType.FILE, 0644, c.size(), c.mtimeMillis(), 1, c.root(), "");
      // Numbered by the origin at replay (a commit names no inode to create with): only an empty file's content
      // does not depend on its inode; clients create, then commit.
      return created(path, attr, c, view, s);
    }
    FileAttr current = ((PathState.Present) s).attr();
    if (c.baseVersion() == 0) {
      throw new ConflictException("base version 0 (create) but " + path + " exists at version " + current.version(),
          Optional.of(current));
    }
    if (c.inode() != 0 && c.inode() != current.inode()) {
      throw new ConflictException("inode " + c.inode() + " but " + path + " is now inode " + current.inode(),
          Optional.of(current));
    }
    if (current.type() != FileType.FILE) {
      throw new OutpostException(current.type() == FileType.DIRECTORY ? ErrorCode.IS_A_DIRECTORY
          : ErrorCode.INVALID_ARGUMENT, "cannot commit content to a " + current.type() + ": " + path);
    }
    if (current.version() != c.baseVersion()) {
      throw new ConflictException("base version " + c.baseVersion() + " but current is " + current.version()
          + " for " + path, Optional.of(current));
    }
    FileAttr updated = new FileAttr(current.inode(), FileType.FILE, current.mode(), c.size(), c.mtimeMillis(),
        current.version() + 1, c.root(), "");
    return changed(path, updated, c, view, ChangeKind.MODIFIED);
  }

  private static Decision changed(String path, FileAttr updated, Mutation m, BranchView view, ChangeKind kind) {
    boolean createdHere = view.state(path) instanceof PathState.Present p && p.createdHere();
    return new Decision.Apply(new AttrReply(updated),
        Map.of(path, Optional.of(new OverlayEntry.Present(updated, createdHere))), Optional.of(m),
        baseOf(path, view), List.of(new LocalChange(kind, updated.inode(), path, "", updated.version())), List.of());
  }

  // ---- plumbing ----

  /** The attributes of an entry that must exist (NOT_FOUND if absent; not known: ask or OFFLINE). */
  private static FileAttr existing(String path, BranchView view) {
    return switch (view.state(path)) {
      case PathState.Present p -> p.attr();
      case PathState.Absent a -> throw new OutpostException(ErrorCode.NOT_FOUND, "no such file or directory: " + path);
      case PathState.Unknown u -> throw new NotKnown(path, false);
    };
  }

  private static void requireDirectory(String dir, String forPath, BranchView view) {
    if (dir.equals(VolumePath.ROOT)) {
      return;
    }
    switch (view.state(dir)) {
      case PathState.Present p when p.attr().type() == FileType.DIRECTORY -> { }
      case PathState.Present p -> throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + dir
          + " (in " + forPath + ")");
      case PathState.Absent a -> throw new OutpostException(ErrorCode.NOT_FOUND,
          "no such file or directory: " + dir + " (in " + forPath + ")");
      case PathState.Unknown u -> throw new NotKnown(dir, false);
    }
  }

  /** What headquarters had at {@code path} as far as the branch knows. */
  private static Base baseOf(String path, BranchView view) {
    return switch (view.atHeadquarters(path)) {
      case PathState.Present p -> new Base.Existing(p.attr());
      case PathState.Absent a -> Base.ABSENT;
      case PathState.Unknown u -> Base.UNKNOWN;
    };
  }
}
