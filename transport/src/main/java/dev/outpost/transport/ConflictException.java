package dev.outpost.transport;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.FileAttr;
import java.util.Optional;

/** A commit whose base version is no longer current; carries the attributes the file has now. */
public final class ConflictException extends OutpostException {
  private static final long serialVersionUID = 1L;
  private final transient Optional<FileAttr> current;

  public ConflictException(String message, Optional<FileAttr> current) {
    super(ErrorCode.CONFLICT, message);
    this.current = current;
  }

  /** The file's attributes at the server when the commit was refused, if the server sent them. */
  public Optional<FileAttr> current() {
    return current;
  }
}
