package dev.outpost.protocol;

/**
 * Creates a directory. Answered by {@link AttrReply}.
 *
 * @param path the new directory
 * @param mode permission bits, 0..07777
 */
public record Mkdir(String path, int mode) implements Request {
  public Mkdir {
    Invariants.path(path);
    Invariants.mode(mode);
  }
}
