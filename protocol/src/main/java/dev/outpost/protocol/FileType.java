package dev.outpost.protocol;

/** What a directory entry is. Wire numbers are fixed in the codec, independent of declaration order. */
public enum FileType {
  FILE,
  DIRECTORY,
  SYMLINK
}
