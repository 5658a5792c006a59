package dev.outpost.proxy.writeback;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.FileAttr;
import java.util.List;
import java.util.Optional;

/**
 * A logged operation the origin refused at replay, kept durably instead of dropped, with what a person (or a rule,
 * issue 13) needs to resolve it. The blocks of the branch's version stay stored at the proxy while it exists.
 *
 * @param record the refused operation, exactly as logged (its writer, time and token included)
 * @param kind what clashed
 * @param code the origin's error code; {@code message} its one line
 * @param base what the branch started from at headquarters
 * @param local the branch's version of {@link #path()} when the refusal came (empty: removed at the branch)
 * @param remote headquarters' version as the refusal or a look-up told it (empty: absent or not known)
 * @param detectedAtMillis when the refusal came
 * @param held later operations that depend on this one (same path, or one under the other), in log order; they
 *     are not replayed until the conflict is resolved
 */
public record ConflictRecord(LogRecord record, ConflictKind kind, ErrorCode code, String message, Base base,
    Optional<FileAttr> local, Optional<FileAttr> remote, long detectedAtMillis, List<LogRecord> held) {
  public ConflictRecord {
    held = List.copyOf(held);
  }

  /** The log sequence of the refused operation: the conflict's key. */
  public long seq() {
    return record.seq();
  }

  /** The path the conflict is filed under (a rename's destination). */
  public String path() {
    return record.path();
  }

  /** Who wrote the branch's version. */
  public String subject() {
    return record.subject();
  }

  /** The same conflict with one more held operation. */
  public ConflictRecord holding(LogRecord later) {
    List<LogRecord> more = new java.util.ArrayList<>(held);
    more.add(later);
    return new ConflictRecord(record, kind, code, message, base, local, remote, detectedAtMillis, more);
  }
}
