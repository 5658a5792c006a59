package dev.outpost.protocol;

/**
 * Attributes of the entry a request named or changed.
 *
 * @param attr the attributes
 * @param staleSinceMillis 0 = answered from current knowledge; otherwise the time (milliseconds since the
 *     epoch) since which the answering proxy has not heard from the origin, so the attributes may be older
 */
public record AttrReply(FileAttr attr, long staleSinceMillis) implements Reply {
  public AttrReply {
    Invariants.present(attr, "attributes");
    Invariants.atLeast(staleSinceMillis, 0, "stale-since time");
  }

  /** Current attributes (not stale). */
  public AttrReply(FileAttr attr) {
    this(attr, 0);
  }
}
