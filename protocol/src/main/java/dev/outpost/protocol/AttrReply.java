package dev.outpost.protocol;

/**
 * Attributes of the entry a request named or changed.
 *
 * @param attr the attributes
 */
public record AttrReply(FileAttr attr) implements Reply {
  public AttrReply {
    Invariants.present(attr, "attributes");
  }
}
