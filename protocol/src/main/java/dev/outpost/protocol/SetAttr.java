package dev.outpost.protocol;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Changes some attributes; an empty value leaves that attribute alone. Answered by {@link AttrReply}.
 *
 * @param path the entry
 * @param mode new permission bits, 0..07777
 * @param mtimeMillis new modification time
 * @param size new size (truncate or extend a file), not negative
 */
public record SetAttr(String path, OptionalInt mode, OptionalLong mtimeMillis, OptionalLong size)
    implements Request {
  public SetAttr {
    Invariants.path(path);
    Invariants.present(mode, "mode");
    Invariants.present(mtimeMillis, "mtime");
    Invariants.present(size, "size");
    mode.ifPresent(Invariants::mode);
    size.ifPresent(s -> Invariants.atLeast(s, 0, "size"));
  }
}
