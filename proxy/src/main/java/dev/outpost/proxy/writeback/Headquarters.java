package dev.outpost.proxy.writeback;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.proxy.attrs.AttrCache;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What the branch knows of headquarters: the attribute cache while it may be trusted (the change subscription
 * is live, or the link is down and the cache is all there is), plus what the origin was just asked for one
 * decision ({@link Answers}). A path not in a fully cached listing of its directory is known absent.
 */
final class Headquarters {
  /** Attributes and listings the origin answered for one decision (absent = NOT_FOUND). */
  record Answers(Map<String, Optional<dev.outpost.protocol.FileAttr>> attrs, Map<String, List<DirEntry>> listings) {
    static final Answers NONE = new Answers(Map.of(), Map.of());
  }

  private final AttrCache attrs;
  private final BooleanSupplier trusted;

  Headquarters(AttrCache attrs, BooleanSupplier trusted) {
    this.attrs = attrs;
    this.trusted = trusted;
  }

  PathState state(String path, Answers answers) {
    Optional<dev.outpost.protocol.FileAttr> asked = answers.attrs().get(path);
    if (asked != null) {
      return asked.<PathState>map(a -> new PathState.Present(a, false)).orElse(PathState.ABSENT);
    }
    if (path.equals(VolumePath.ROOT) || !trusted.getAsBoolean()) {
      return PathState.UNKNOWN;
    }
    Optional<dev.outpost.protocol.Reply> cached = attrs.attr(path);
    if (cached.isPresent()) {
      if (cached.get() instanceof AttrReply a) {
        return new PathState.Present(a.attr(), false);
      }
      if (cached.get() instanceof ErrorReply e && e.code() == ErrorCode.NOT_FOUND) {
        return PathState.ABSENT;
      }
    }
    String name = VolumePath.name(path);
    return listing(VolumePath.parent(path), answers)
        .map(l -> l.stream().filter(e -> e.name().equals(name)).findFirst()
            .<PathState>map(e -> new PathState.Present(e.attr(), false)).orElse(PathState.ABSENT))
        .orElse(PathState.UNKNOWN);
  }

  Optional<List<DirEntry>> listing(String dir, Answers answers) {
    List<DirEntry> asked = answers.listings().get(dir);
    if (asked != null) {
      return Optional.of(asked);
    }
    return trusted.getAsBoolean() ? attrs.listing(dir) : Optional.empty();
  }
}
