package dev.outpost.protocol;

/**
 * Creates an empty file. Answered by {@link AttrReply}.
 *
 * @param path the new file
 * @param mode permission bits, 0..07777
 * @param exclusive fail with ALREADY_EXISTS if the path exists; otherwise return the existing file
 */
public record Create(String path, int mode, boolean exclusive) implements Request {
  public Create {
    Invariants.path(path);
    Invariants.mode(mode);
  }
}
