package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.Utf8;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The volume key file (FORMAT.md §1): UTF-8 text, one {@code name: value} per line, '#' comments and blank
 * lines ignored, every field exactly once:
 *
 * <pre>
 * format: outpost-volume-key/1
 * volume: NAME
 * volume-id: 32 hex digits
 * secret: base64 of the 32-byte master secret
 * </pre>
 *
 * Written with permissions 0600 where the filesystem is POSIX. Warning: the file holds the volume's only
 * secret; whoever reads it reads every file of the volume.
 */
public record VolumeKeyFile(String volume, VolumeKey key) {
  public static final String FORMAT = "outpost-volume-key/1";
  /** Files longer than this are refused before reading. */
  public static final int MAX_FILE_BYTES = 4096;

  public VolumeKeyFile {
    checkVolumeName(volume);
    if (key == null) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "volume key file needs a key");
    }
  }

  /** The file's text. Holds the secret: do not log it. */
  public String format() {
    byte[] secret = key.secretCopy();
    try {
      return "format: " + FORMAT + "\n"
          + "volume: " + volume + "\n"
          + "volume-id: " + HexFormat.of().formatHex(key.volumeId()) + "\n"
          + "secret: " + Base64.getEncoder().encodeToString(secret) + "\n";
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /** Writes the file (replacing it), with permissions 0600 where supported. */
  public void write(Path file) throws IOException {
    PemFiles.writePrivate(file, Utf8.encode(format()));
  }

  /**
   * @throws OutpostException INVALID_ARGUMENT naming what is wrong with a malformed or other-format file
   */
  public static VolumeKeyFile read(Path file) throws IOException {
    byte[] bytes = PemFiles.readBounded(file, MAX_FILE_BYTES, "volume key file");
    return parse(Utf8.decode(bytes).orElseThrow(() -> bad("not UTF-8 text")));
  }

  /** @throws OutpostException INVALID_ARGUMENT naming what is wrong */
  public static VolumeKeyFile parse(String text) {
    if (text.length() > MAX_FILE_BYTES) {
      throw bad("longer than " + MAX_FILE_BYTES + " characters");
    }
    Map<String, String> fields = new HashMap<>();
    int lineNo = 0;
    for (String raw : text.split("\n", -1)) {
      lineNo++;
      String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw bad("line " + lineNo + " is not 'name: value'");
      }
      String name = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      if (!name.equals("format") && !name.equals("volume") && !name.equals("volume-id") && !name.equals("secret")) {
        throw bad("unknown field '" + shorten(name) + "' on line " + lineNo);
      }
      if (fields.put(name, value) != null) {
        throw bad("field '" + name + "' appears twice");
      }
    }
    String format = fields.get("format");
    if (format == null) {
      throw bad("no 'format' line: not an outpost volume key file");
    }
    if (!format.equals(FORMAT)) {
      throw bad("format is '" + shorten(format) + "', expected '" + FORMAT + "'");
    }
    for (String f : new String[] {"volume", "volume-id", "secret"}) {
      if (fields.get(f) == null) {
        throw bad("missing field '" + f + "'");
      }
    }
    byte[] volumeId;
    try {
      volumeId = HexFormat.of().parseHex(fields.get("volume-id"));
    } catch (IllegalArgumentException e) {
      throw bad("volume-id is not hex");
    }
    if (volumeId.length != VolumeKey.VOLUME_ID_BYTES) {
      throw bad("volume-id must be " + VolumeKey.VOLUME_ID_BYTES + " bytes (32 hex digits)");
    }
    byte[] secret;
    try {
      secret = Base64.getDecoder().decode(fields.get("secret"));
    } catch (IllegalArgumentException e) {
      throw bad("secret is not base64");
    }
    try {
      if (secret.length != VolumeKey.SECRET_BYTES) {
        throw bad("secret must be " + VolumeKey.SECRET_BYTES + " bytes");
      }
      String volume = fields.get("volume");
      try {
        checkVolumeName(volume);
      } catch (OutpostException e) {
        throw bad(e.getMessage());
      }
      return new VolumeKeyFile(volume, VolumeKey.fromSecret(secret, volumeId));
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  private static void checkVolumeName(String volume) {
    if (volume == null || volume.isEmpty() || volume.length() > 255) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "volume name must have 1..255 characters");
    }
    for (int i = 0; i < volume.length(); i++) {
      char c = volume.charAt(i);
      if (Character.isISOControl(c) || Character.isWhitespace(c)) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "volume name contains whitespace or a control character");
      }
    }
  }

  private static String shorten(String s) {
    String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
    StringBuilder b = new StringBuilder();
    t.codePoints().forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) ? (int) '?' : cp));
    return b.toString();
  }

  private static OutpostException bad(String why) {
    return new OutpostException(ErrorCode.INVALID_ARGUMENT, "volume key file: " + why);
  }
}
