package dev.outpost.proxy.writeback;

import dev.outpost.core.VolumePath;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The overlay table's rows in memory (loaded at open, changed only by the write-back writer after each commit),
 * with the names under each directory, so readers on any thread answer GETATTR and READDIR without a transaction.
 * Bounded by the log: every row belongs to an operation still in the log or held with a conflict.
 */
final class Overlay {
  private final Map<String, OverlayRow> rows = new ConcurrentHashMap<>();
  private final Map<String, NavigableSet<String>> children = new ConcurrentHashMap<>();

  Optional<OverlayRow> row(String path) {
    return Optional.ofNullable(rows.get(path));
  }

  /** Names under {@code dir} that have rows, in name order. */
  NavigableSet<String> childNames(String dir) {
    NavigableSet<String> names = children.get(dir);
    return names == null ? new ConcurrentSkipListSet<>(VolumePath.NAME_ORDER) : names;
  }

  /** Sets or (empty) removes the row of {@code path}. Writer thread only. */
  void put(String path, Optional<OverlayRow> row) {
    if (path.equals(VolumePath.ROOT)) {
      row.ifPresentOrElse(r -> rows.put(path, r), () -> rows.remove(path));
      return;
    }
    String dir = VolumePath.parent(path);
    String name = VolumePath.name(path);
    if (row.isPresent()) {
      rows.put(path, row.get());
      children.computeIfAbsent(dir, d -> new ConcurrentSkipListSet<>(VolumePath.NAME_ORDER)).add(name);
    } else if (rows.remove(path) != null) {
      children.computeIfPresent(dir, (d, names) -> {
        names.remove(name);
        return names.isEmpty() ? null : names;
      });
    }
  }

  int size() {
    return rows.size();
  }

  /** Every path with a row (status, tests). */
  java.util.Set<String> paths() {
    return java.util.Set.copyOf(rows.keySet());
  }
}
