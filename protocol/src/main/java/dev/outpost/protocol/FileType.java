package dev.outpost.protocol;

/** What a directory entry is. Its wire number is fixed in the codec; never reorder-dependent. */
public enum FileType {
  FILE,
  DIRECTORY,
  SYMLINK
}
