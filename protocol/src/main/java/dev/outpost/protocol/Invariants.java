package dev.outpost.protocol;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Utf8;
import dev.outpost.core.VolumePath;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The checks the records' compact constructors share, so every message refuses bad values the same way. */
final class Invariants {
  /** Strings travel as u16 byte length + UTF-8. */
  static final int MAX_STRING_BYTES = 0xFFFF;
  static final int MAX_MODE = 07777;

  private Invariants() {}

  static <T> T present(T value, String what) {
    if (value == null) {
      throw invalid(what + " is missing");
    }
    return value;
  }

  static int mode(int mode) {
    if (mode < 0 || mode > MAX_MODE) {
      throw invalid("mode " + Integer.toOctalString(mode) + " outside 0..07777");
    }
    return mode;
  }

  static long atLeast(long value, long min, String what) {
    if (value < min) {
      throw invalid(what + " must be at least " + min + ", got " + value);
    }
    return value;
  }

  /** A requested inode: 0 (the origin picks) or positive, and then only under an operation id. */
  static long reservedInode(long inode, OperationId op) {
    atLeast(inode, 0, "inode");
    if (inode != 0 && op != null && op.isNone()) {
      throw invalid("inode " + inode + " is requested without an operation id: reserved inodes belong to an"
          + " originator");
    }
    return inode;
  }

  static int range(int value, int min, int max, String what) {
    if (value < min || value > max) {
      throw invalid(what + " " + value + " outside " + min + ".." + max);
    }
    return value;
  }

  /** A checked volume path that also fits the wire. */
  static String path(String path) {
    VolumePath.check(path);
    text(path, "path");
    return path;
  }

  /** Any string that fits the wire: present, well-formed UTF-16, at most 65535 UTF-8 bytes. */
  static String text(String s, String what) {
    present(s, what);
    int bytes = Utf8.length(s);
    if (bytes < 0) {
      throw invalid(what + " contains an unpaired surrogate");
    }
    if (bytes > MAX_STRING_BYTES) {
      throw invalid(what + " is " + bytes + " UTF-8 bytes, more than " + MAX_STRING_BYTES);
    }
    return s;
  }

  /** A symlink target: non-empty, no NUL, at most {@link VolumePath#MAX_PATH_BYTES} bytes. */
  static String linkTarget(String target) {
    text(target, "link target");
    if (target.isEmpty() || target.indexOf('\0') >= 0 || Utf8.length(target) > VolumePath.MAX_PATH_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_PATH,
          "link target must be 1.." + VolumePath.MAX_PATH_BYTES + " bytes without NUL");
    }
    return target;
  }

  /** An immutable copy with no null element and a size within bounds. */
  static <T> List<T> list(List<T> list, int min, int max, String what) {
    present(list, what);
    if (list.size() < min || list.size() > max) {
      throw invalid(what + " has " + list.size() + " entries, allowed " + min + ".." + max);
    }
    List<T> copy = new ArrayList<>(list.size());
    for (T element : list) {
      copy.add(present(element, "an entry of " + what));
    }
    return Collections.unmodifiableList(copy);
  }

  static OutpostException invalid(String message) {
    return new OutpostException(ErrorCode.INVALID_ARGUMENT, message);
  }
}
