package dev.outpost.protocol;

/** What a {@link ChangeEvent} reports. */
public enum ChangeKind {
  /** A new entry appeared. */
  CREATED,
  /** A file's content changed (a commit). */
  MODIFIED,
  /** Mode or mtime changed, content did not. */
  ATTRS,
  /** The entry is gone. */
  REMOVED,
  /** The entry moved from {@code fromPath} to {@code path}. */
  RENAMED
}
