package dev.outpost.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Paths inside a volume: absolute, '/'-separated, normalised. Every path from the wire or a user passes
 * {@link #check} before use.
 *
 * <p>Rules: starts with '/'; no empty component, no "." or "..", no NUL, no unpaired surrogate (UTF-8 cannot
 * carry one: it would be stored as '?' and alias another name, see {@link Utf8}); a component is at most
 * {@value #MAX_NAME_BYTES} UTF-8 bytes and the whole path at most {@value #MAX_PATH_BYTES}. The root is
 * "/". A trailing '/' is refused rather than silently removed. Names are compared as exact code points: no
 * Unicode normalisation, so "caf\u00e9" and "cafe\u0301" are two names, as on a POSIX disk.
 */
public final class VolumePath {
  public static final String ROOT = "/";
  public static final int MAX_NAME_BYTES = 255;
  public static final int MAX_PATH_BYTES = 4096;

  private VolumePath() {}

  /**
   * Returns {@code path} unchanged if valid.
   *
   * @throws OutpostException INVALID_PATH naming what is wrong
   */
  public static String check(String path) {
    if (path == null || path.isEmpty()) {
      throw invalid(path, "empty");
    }
    if (path.charAt(0) != '/') {
      throw invalid(path, "not absolute");
    }
    // -1 (an unpaired surrogate) passes here and is refused with its component below.
    if (Utf8.length(path) > MAX_PATH_BYTES) {
      throw invalid(path, "longer than " + MAX_PATH_BYTES + " bytes");
    }
    if (path.equals(ROOT)) {
      return path;
    }
    int start = 1;
    while (start <= path.length()) {
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = path.length();
      }
      checkNameIn(path, path.substring(start, end));
      start = end + 1;
    }
    return path;
  }

  /**
   * Checks one directory entry name.
   *
   * @throws OutpostException INVALID_PATH
   */
  public static String checkName(String name) {
    checkNameIn(name, name);
    return name;
  }

  private static void checkNameIn(String path, String name) {
    if (name == null || name.isEmpty()) {
      throw invalid(path, "empty component");
    }
    if (name.equals(".") || name.equals("..")) {
      throw invalid(path, "'" + name + "' component");
    }
    if (name.indexOf('/') >= 0) {
      throw invalid(path, "'/' inside a name");
    }
    if (name.indexOf('\0') >= 0) {
      throw invalid(path, "NUL byte");
    }
    int unpaired = Utf8.indexOfUnpairedSurrogate(name);
    if (unpaired >= 0) {
      throw invalid(path, "an unpaired surrogate at index " + unpaired + " of '" + Utf8.escapeUnpaired(name)
          + "' (not valid Unicode: no UTF-8 encoding)");
    }
    if (Utf8.length(name) > MAX_NAME_BYTES) {
      throw invalid(path, "a component longer than " + MAX_NAME_BYTES + " bytes");
    }
  }

  /** The parent of a checked path; the root's parent is the root. */
  public static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? ROOT : path.substring(0, slash);
  }

  /** The last component; "" for the root. */
  public static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** {@code dir} + "/" + {@code name}, checked. */
  public static String join(String dir, String name) {
    return check(dir.equals(ROOT) ? ROOT + name : dir + "/" + name);
  }

  /** True if {@code path} equals {@code prefix} or lies below it ("/a" is under "/a" and "/", not "/ab"). */
  public static boolean isUnder(String path, String prefix) {
    if (prefix.equals(ROOT) || path.equals(prefix)) {
      return true;
    }
    return path.startsWith(prefix) && path.length() > prefix.length() && path.charAt(prefix.length()) == '/';
  }

  /**
   * Names in UTF-8 byte order, which is code point order: the order the origin lists a directory in (its keys
   * are UTF-8). {@link String#compareTo} differs from it for characters beyond U+FFFF.
   */
  public static final java.util.Comparator<String> NAME_ORDER = (a, b) -> {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  };

  /** The components of a checked path; none for the root. */
  public static List<String> components(String path) {
    List<String> out = new ArrayList<>();
    if (path.equals(ROOT)) {
      return out;
    }
    for (String c : path.substring(1).split("/", -1)) {
      out.add(c);
    }
    return out;
  }

  private static OutpostException invalid(String path, String why) {
    String shown = path == null ? "null" : Utf8.escapeUnpaired(path.replace("\0", "\\0"));
    if (shown.length() > 200) {
      // Cut between code points, so the message never holds half a surrogate pair.
      shown = shown.substring(0, shown.offsetByCodePoints(0, shown.codePointCount(0, 200))) + "...";
    }
    return new OutpostException(ErrorCode.INVALID_PATH, "bad path '" + shown + "': " + why);
  }
}
