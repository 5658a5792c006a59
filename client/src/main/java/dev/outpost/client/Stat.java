package dev.outpost.client;

import dev.outpost.protocol.FileAttr;
import java.time.Instant;
import java.util.Optional;

/**
 * One entry's attributes as the server answered, with how current the answer is.
 *
 * @param path the entry
 * @param attr its attributes
 * @param staleSince empty when the server answered from current knowledge; otherwise the time since which the
 *     branch proxy that answered has not heard from the origin (it is cut off and served what it cached)
 */
public record Stat(String path, FileAttr attr, Optional<Instant> staleSince) {
  /** The stale-since time of a reply: 0 on the wire means current. */
  static Optional<Instant> staleSince(long staleSinceMillis) {
    return staleSinceMillis == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(staleSinceMillis));
  }
}
