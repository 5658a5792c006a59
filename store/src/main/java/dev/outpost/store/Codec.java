package dev.outpost.store;

import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Turns a key or a value into bytes and back. A {@link Table} uses one codec for its keys and one for its
 * values; {@link Codecs} holds the common ones.
 *
 * <p>A key codec must be order-preserving when ranges matter: LMDB sorts keys by unsigned byte
 * comparison, so {@code compareUnsigned(encode(a), encode(b))} must have the sign of {@code a.compareTo(b)}.
 * {@link #read} must consume exactly the bytes {@link #write} produced and copy whatever it keeps (the
 * reader may point into the memory map). Codecs are stateless and thread-safe.
 */
public interface Codec<T> {
  void write(T value, BinaryWriter out);

  T read(BinaryReader in);

  static <T> Codec<T> of(BiConsumer<T, BinaryWriter> writer, Function<BinaryReader, T> reader) {
    return new Codec<>() {
      @Override
      public void write(T value, BinaryWriter out) {
        writer.accept(value, out);
      }

      @Override
      public T read(BinaryReader in) {
        return reader.apply(in);
      }
    };
  }

  /** The bytes of {@code value}, for tests and for callers outside a transaction. */
  default byte[] encode(T value) {
    BinaryWriter out = new BinaryWriter(64, Integer.MAX_VALUE - 8);
    write(value, out);
    return out.toByteArray();
  }

  /**
   * Reads a whole encoding back.
   *
   * @throws dev.outpost.core.OutpostException INTERNAL if the bytes are not one complete encoding
   */
  default T decode(byte[] bytes) {
    BinaryReader in = new BinaryReader(bytes);
    T value = read(in);
    in.expectEnd();
    return value;
  }
}
