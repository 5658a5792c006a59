package dev.outpost.proxy.writeback;

import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.Reply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one write-back transaction changes, before it commits: overlay rows, counters, the inode ranges and the
 * local changes to announce. Made fresh for every attempt from the published state; published by the writer
 * after the commit (never on failure). Writer thread only.
 */
final class Staging {
  /** Overlay rows set (present) or removed (empty) by this transaction. */
  final Map<String, Optional<OverlayRow>> rows = new LinkedHashMap<>();
  /** Client operations answered in this transaction (a resend within the same batch). */
  final Map<OperationId, Reply> clientOps = new LinkedHashMap<>();
  final List<WriteBackLog.LocalChange> changes = new ArrayList<>();
  /** Log sequences this transaction removed (replayed, dropped, moved to a conflict). */
  final List<Long> removed = new ArrayList<>();
  /** Conflict records added or removed (seq → path; removed: null). */
  final Map<Long, String> conflicts = new LinkedHashMap<>();
  /** Inode ranges left, first → end, as this transaction leaves them. */
  final TreeMap<Long, Long> inodes;
  long nextSeq;
  long logBytes;
  long records;
  long blockBytes;
  long blocks;
  long oldestLoggedAtMillis;

  Staging(long nextSeq, long logBytes, long records, long blockBytes, long blocks, TreeMap<Long, Long> inodes,
      long oldestLoggedAtMillis) {
    this.nextSeq = nextSeq;
    this.logBytes = logBytes;
    this.records = records;
    this.blockBytes = blockBytes;
    this.blocks = blocks;
    this.inodes = new TreeMap<>(inodes);
    this.oldestLoggedAtMillis = oldestLoggedAtMillis;
  }
}
