package dev.outpost.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Strict UTF-8, the only way Outpost turns names and other text into bytes and back (ADR 0003). The JDK's
 * convenience methods are lossy: {@code new String(bytes, UTF_8)} turns bytes that are not UTF-8 into U+FFFD and
 * {@code String.getBytes(UTF_8)} writes '?' for a lone surrogate, so two different names would become one. Here
 * decoding refuses malformed input (overlong forms, encoded surrogates ED A0..BF xx, code points above U+10FFFF,
 * truncated sequences) and encoding refuses unpaired surrogates; a name therefore round-trips byte for byte or
 * is refused.
 *
 * <p>Thread-safe (stateless).
 */
public final class Utf8 {
  /** What a lossy decoder puts in place of bytes it could not decode. */
  public static final char REPLACEMENT = '\uFFFD';

  private Utf8() {}

  /**
   * The index of the first char of {@code s} that is a surrogate without its partner, or -1 if {@code s} is
   * well-formed UTF-16 (and so has a UTF-8 encoding).
   */
  public static int indexOfUnpairedSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The number of UTF-8 bytes of {@code s}, or -1 if it holds an unpaired surrogate (which UTF-8 cannot carry).
   */
  public static int length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (!Character.isSurrogate(c)) {
        n += 3;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        return -1;
      }
    }
    return n;
  }

  /**
   * The UTF-8 bytes of {@code s}.
   *
   * @throws OutpostException INVALID_ARGUMENT if {@code s} holds an unpaired surrogate; callers that owe a more
   *     precise code (INVALID_PATH for a path) check {@link #indexOfUnpairedSurrogate} first
   */
  public static byte[] encode(String s) {
    int bad = indexOfUnpairedSurrogate(s);
    if (bad >= 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "text has an unpaired surrogate at index " + bad + " and no UTF-8 encoding");
    }
    // Well-formed now, so the JDK's fast encoder is exact.
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Decodes the remaining bytes of {@code bytes} (its position moves to its limit), or returns empty if they
   * are not well-formed UTF-8. Never substitutes anything.
   */
  public static Optional<String> decode(ByteBuffer bytes) {
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes);
      return Optional.of(chars.toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /** {@link #decode(ByteBuffer)} of a whole array. */
  public static Optional<String> decode(byte[] bytes) {
    return decode(ByteBuffer.wrap(bytes));
  }

  /**
   * True if {@code s} may be what a lossy decoder made of bytes that were not UTF-8: it holds U+FFFD or an
   * unpaired surrogate. Where text arrives already decoded by someone else (jfuse's paths, the JVM's argv and
   * file names), the original bytes are gone and such a string must be refused rather than stored as an alias.
   * <b>Warning:</b> this also refuses a genuine U+FFFD, which cannot be told apart.
   */
  public static boolean mayBeLossy(String s) {
    return s.indexOf(REPLACEMENT) >= 0 || indexOfUnpairedSurrogate(s) >= 0;
  }

  /**
   * {@code s} safe to put into a message: each unpaired surrogate shown as {@code \\uXXXX}, so the message itself
   * has a UTF-8 encoding.
   */
  public static String escapeUnpaired(String s) {
    int bad = indexOfUnpairedSurrogate(s);
    if (bad < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length() + 8).append(s, 0, bad);
    for (int i = bad; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
