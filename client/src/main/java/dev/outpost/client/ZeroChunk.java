package dev.outpost.client;

import dev.outpost.crypto.BlockSealer;
import dev.outpost.crypto.ChildRef;
import dev.outpost.crypto.Chunker;
import dev.outpost.crypto.SealedBlock;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * The volume's zero chunk: the block every long run of zeros is cut into ({@link Chunker#zeroRunChunkLength()}
 * zero bytes, sealed convergently, so one block per volume). Writers reference it many times instead of sealing
 * zeros; readers recognise it by its entry and hand out zeros without fetching or opening it.
 *
 * <p>Recognition compares the whole entry (id, key, length): an entry with this id holds this ciphertext
 * (SHA-256), and under this key it opens to zeros, so nothing is taken on trust. Immutable and thread-safe;
 * {@link #plain()} is shared and must not be written to.
 */
final class ZeroChunk {
  private final SealedBlock block;
  private final ChildRef ref;
  private final byte[] plain;
  private final CompletableFuture<byte[]> opened;

  private ZeroChunk(SealedBlock block) {
    this.block = block;
    this.ref = block.childRef();
    this.plain = new byte[block.plainLength()];
    this.opened = CompletableFuture.completedFuture(plain);
  }

  static ZeroChunk of(Chunker chunker, BlockSealer sealer) {
    return new ZeroChunk(sealer.seal(new byte[chunker.zeroRunChunkLength()]));
  }

  /** The sealed block, for an upload. */
  SealedBlock block() {
    return block;
  }

  /** The entry a parent holds for it. */
  ChildRef ref() {
    return ref;
  }

  int length() {
    return plain.length;
  }

  /** Its plaintext: zeros, shared by every reader; never write to it. */
  byte[] plain() {
    return plain;
  }

  /** {@link #plain()} as an already completed open. */
  CompletableFuture<byte[]> opened() {
    return opened;
  }

  /** True if {@code entry} is this block under this key for this many bytes. */
  boolean is(ChildRef entry) {
    return entry.plainBytes() == plain.length && entry.id().equals(ref.id()) && Arrays.equals(entry.key(), ref.key());
  }
}
