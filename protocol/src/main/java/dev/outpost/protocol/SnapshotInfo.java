package dev.outpost.protocol;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.util.regex.Pattern;

/**
 * One snapshot of the volume.
 *
 * @param name a snapshot name, never "" (see {@link #checkName})
 * @param seq the change journal sequence the snapshot was taken at
 * @param createdAtMillis creation time, milliseconds since the epoch
 */
public record SnapshotInfo(String name, long seq, long createdAtMillis) {
  /** The snapshot name that means the live volume. */
  public static final String LIVE = "";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  public SnapshotInfo {
    checkName(name);
    if (name.isEmpty()) {
      throw Invariants.invalid("a snapshot needs a name");
    }
    Invariants.atLeast(seq, 0, "snapshot sequence");
  }

  /**
   * Checks a snapshot name as requests carry it: "" means the live volume, otherwise 1..64 characters of
   * {@code [A-Za-z0-9._-]}, and not "." or "..".
   *
   * @return {@code name} unchanged
   * @throws OutpostException INVALID_ARGUMENT
   */
  public static String checkName(String name) {
    if (name == null) {
      throw Invariants.invalid("snapshot name is missing");
    }
    if (!name.isEmpty() && (!NAME.matcher(name).matches() || name.equals(".") || name.equals(".."))) {
      String shown = name.length() > 80 ? name.substring(0, 80) + "..." : name;
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "bad snapshot name '" + shown + "': use 1..64 of [A-Za-z0-9._-]");
    }
    return name;
  }
}
