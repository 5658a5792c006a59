package dev.outpost.bench.jmh;

import dev.outpost.crypto.Chunker;

/** Counts chunks and their bytes, and keeps the extremes, so the chunker's output is consumed and checkable. */
final class ChunkTally implements Chunker.ChunkSink {
  long chunks;
  long bytes;
  /** Smallest chunk except the last one, which alone may be shorter than the minimum. */
  int minNonLastChunkBytes = Integer.MAX_VALUE;
  int maxChunkBytes;
  private int lastChunkBytes;

  @Override
  public void accept(byte[] buffer, int offset, int length) {
    add(length);
  }

  void add(int length) {
    if (chunks > 0) {
      // A chunk follows the previous one, so that one was not the last.
      minNonLastChunkBytes = Math.min(minNonLastChunkBytes, lastChunkBytes);
    }
    chunks++;
    bytes += length;
    maxChunkBytes = Math.max(maxChunkBytes, length);
    lastChunkBytes = length;
  }
}
