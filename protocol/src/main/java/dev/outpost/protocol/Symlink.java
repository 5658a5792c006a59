package dev.outpost.protocol;

/**
 * Creates a symbolic link. Answered by {@link AttrReply}.
 *
 * @param path the new link
 * @param target what it points to: any non-empty string without NUL, at most 4096 bytes (not checked as a
 *     volume path: links may be relative)
 */
public record Symlink(String path, String target) implements Request {
  public Symlink {
    Invariants.path(path);
    Invariants.linkTarget(target);
  }
}
