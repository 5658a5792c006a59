package dev.outpost.proxy.cache;

import dev.outpost.core.BlockId;
import dev.outpost.core.OutpostException;
import java.util.List;

/** Where missing blocks come from: the origin. Implementations are thread-safe. */
public interface BlockSource {
  /** Receives one fetch's answers, on any thread, each id exactly once, then {@link #done} once. */
  interface Sink {
    /** The block's bytes as the source sent them, not yet verified; the sink owns the array. */
    void block(BlockId id, byte[] cipher);

    void missing(BlockId id);

    /** No more answers follow; {@code error} is null on success. Ids not answered have failed. */
    void done(OutpostException error);
  }

  /** Asks for {@code ids} (1..1024) in one round trip. */
  void fetch(List<BlockId> ids, Sink sink);
}
