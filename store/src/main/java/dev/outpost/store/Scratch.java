package dev.outpost.store;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.ByteBuffer;

/**
 * Direct buffers a transaction encodes keys and values into. Pooled by {@link LmdbStorage} because
 * allocating direct memory per operation costs more than the LMDB call itself.
 */
final class Scratch {
  /** A writer that grew past this is dropped rather than pooled, so one big record does not pin memory. */
  static final int POOLED_VALUE_BYTES = 64 * 1024;

  private final BinaryWriter keys;
  private final BinaryWriter values;

  Scratch(int maxKeyBytes, int maxValueBytes) {
    this.keys = new BinaryWriter(Math.min(64, maxKeyBytes), maxKeyBytes, "key");
    this.values = new BinaryWriter(256, maxValueBytes, "record");
  }

  boolean worthPooling() {
    return values.capacity() <= POOLED_VALUE_BYTES;
  }

  /** Encodes {@code key}; the view is valid until the next key is encoded with this scratch. */
  <K> ByteBuffer key(Codec<K> codec, K key) {
    codec.write(key, keys.reset());
    if (keys.size() == 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "LMDB keys cannot be empty");
    }
    return keys.view();
  }

  /** Encodes {@code value}; the view is valid until the next value is encoded with this scratch. */
  <V> ByteBuffer value(Codec<V> codec, V value) {
    codec.write(value, values.reset());
    return values.view();
  }
}
