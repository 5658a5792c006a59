package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Builds a file version's index tree while the file is being read (FORMAT.md §4). Add each sealed chunk in
 * file order; finished index blocks go to the sink as soon as their group closes, so a writer can upload
 * while it still reads. {@link #finish()} flushes the partial groups bottom-up and returns the root.
 *
 * <p>Grouping per level, left to right: a child is appended to the open group; the group closes after it
 * when the group holds {@value IndexBlock#MAX_CHILDREN} children, or holds at least
 * {@value IndexBlock#MIN_CHILDREN} and the child's id is a boundary ({@code prefixLong() & 63 == 63}). At
 * the end a level's open group closes whatever its size. A level of one block is the root.
 *
 * <p>Not thread-safe; one builder per file version. The sink runs on the calling thread.
 */
public final class FileTreeBuilder {
  private final BlockSealer sealer;
  private final Consumer<SealedBlock> sink;
  /** levels.get(k): open group of level-k blocks (k = 0: data blocks) and how many were ever added. */
  private final List<List<ChildRef>> groups = new ArrayList<>();
  private final List<Long> counts = new ArrayList<>();
  private long sizeBytes;
  private boolean finished;

  /**
   * @param sealer seals the index blocks (its volume's convergence secret)
   * @param sink receives each index block once, children before parents
   */
  public FileTreeBuilder(BlockSealer sealer, Consumer<SealedBlock> sink) {
    this.sealer = sealer;
    this.sink = sink;
  }

  /** Adds the next chunk of the file. */
  public void add(SealedBlock chunk) {
    add(chunk.childRef());
  }

  /**
   * Adds the next chunk of the file: its id, cipher length, key and length.
   *
   * @throws OutpostException INVALID_ARGUMENT for a chunk longer than a block can hold, or a file whose tree
   *     would exceed {@link RootRef#MAX_DEPTH}; FILE_TOO_LARGE past {@link BlockFormat#MAX_FILE_BYTES}
   */
  public void add(ChildRef chunk) {
    add(chunk, 1);
  }

  /**
   * Adds the same chunk {@code times} times in a row (a run of zeros is one zero chunk many times): the tree is
   * the one {@code times} single adds build, but each level seals one index block for the run of identical
   * groups it holds and passes it up as a run, so the work is O(depth × {@value IndexBlock#MAX_CHILDREN})
   * whatever {@code times} is, and the sink sees each distinct block of the run once.
   *
   * @throws OutpostException as {@link #add(ChildRef)}; INVALID_ARGUMENT for {@code times < 1}
   */
  public void add(ChildRef chunk, long times) {
    if (finished) {
      throw new IllegalStateException("finish() was called");
    }
    if (times < 1) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "a chunk is added at least once, not " + times + " times");
    }
    if (chunk.plainBytes() > BlockFormat.MAX_PLAIN_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "a chunk holds at most " + BlockFormat.MAX_PLAIN_BYTES
          + " bytes: " + chunk.plainBytes());
    }
    // sizeBytes and times are at most 2^44 and a chunk 2^18 bytes: no overflow below.
    long total = times > BlockFormat.MAX_FILE_BYTES ? -1 : sizeBytes + times * chunk.plainBytes();
    BlockFormat.checkFileSize("the file", total);
    sizeBytes = total;
    push(0, chunk, times);
  }

  /** Bytes added so far. */
  public long sizeBytes() {
    return sizeBytes;
  }

  /**
   * Closes every open group bottom-up and returns the root; empty for a file with no chunks. The builder
   * cannot be used afterwards.
   */
  public Optional<FileRoot> finish() {
    if (finished) {
      throw new IllegalStateException("finish() was called");
    }
    finished = true;
    if (groups.isEmpty()) {
      return Optional.empty();
    }
    for (int k = 0; ; k++) {
      List<ChildRef> open = groups.get(k);
      if (counts.get(k) == 1) {
        // A single block at this level: no group of this level ever closed, so nothing exists above it.
        ChildRef root = open.getFirst();
        return Optional.of(new FileRoot(root.id(), k, root.cipherLength(), root.key(), sizeBytes));
      }
      if (!open.isEmpty()) {
        close(k);
      }
    }
  }

  /** Appends {@code ref} {@code times} times to the level-{@code level} list. */
  private void push(int level, ChildRef ref, long times) {
    if (groups.size() == level) {
      groups.add(new ArrayList<>());
      counts.add(0L);
    }
    List<ChildRef> open = groups.get(level);
    long left = times;
    while (left > 0) {
      if (!open.isEmpty()) {
        // Fill the open group one by one until it closes (at most MAX_CHILDREN - 1 children).
        push(level, ref);
        left--;
        continue;
      }
      // At a group start, a run of identical children closes identical groups of a fixed size: after
      // MIN_CHILDREN if the child is a boundary, else after MAX_CHILDREN.
      int groupSize = IndexBlock.isBoundary(ref.id()) ? IndexBlock.MIN_CHILDREN : IndexBlock.MAX_CHILDREN;
      long groupsOfRun = left / groupSize;
      if (groupsOfRun == 0) {
        push(level, ref);
        left--;
        continue;
      }
      if (level + 1 > RootRef.MAX_DEPTH) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "file needs more than " + RootRef.MAX_DEPTH + " index levels");
      }
      SealedBlock block = sealer.sealIndex(level + 1, Collections.nCopies(groupSize, ref));
      sink.accept(block);
      counts.set(level, counts.get(level) + groupsOfRun * groupSize);
      left -= groupsOfRun * groupSize;
      push(level + 1, new ChildRef(block.id(), block.cipherLength(), block.key(), groupSize * ref.plainBytes()),
          groupsOfRun);
    }
  }

  private void push(int level, ChildRef ref) {
    List<ChildRef> open = groups.get(level);
    open.add(ref);
    counts.set(level, counts.get(level) + 1);
    if (open.size() == IndexBlock.MAX_CHILDREN
        || (open.size() >= IndexBlock.MIN_CHILDREN && IndexBlock.isBoundary(ref.id()))) {
      close(level);
    }
  }

  /** Seals the open group of level-{@code k} blocks as an index block of level k + 1. */
  private void close(int k) {
    int level = k + 1;
    if (level > RootRef.MAX_DEPTH) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "file needs more than " + RootRef.MAX_DEPTH + " index levels");
    }
    List<ChildRef> open = groups.get(k);
    long bytes = 0;
    for (ChildRef c : open) {
      bytes += c.plainBytes();
    }
    SealedBlock block = sealer.sealIndex(level, open);
    open.clear();
    sink.accept(block);
    push(level, new ChildRef(block.id(), block.cipherLength(), block.key(), bytes), 1);
  }
}
