package dev.outpost.client;

import dev.outpost.protocol.DirEntry;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Every entry of a directory in name order, with attributes, and how current the listing is.
 *
 * @param path the directory
 * @param entries its entries (an immutable list)
 * @param staleSince empty when every page came from current knowledge; otherwise the earliest time since
 *     which the branch proxy that answered a page had not heard from the origin: every entry may be that old
 */
public record Listing(String path, List<DirEntry> entries, Optional<Instant> staleSince) {
  public Listing {
    entries = List.copyOf(entries);
  }
}
