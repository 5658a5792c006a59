package dev.outpost.proxy.admin;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's bearer token: read from its file, or generated there (32 random bytes, hex, mode 0600) the
 * first time. Comparison is constant-time.
 */
public final class AdminToken {
  private static final Logger log = LoggerFactory.getLogger(AdminToken.class);
  /** Shorter tokens in a hand-written file are refused: the API can evict the whole cache. */
  public static final int MIN_CHARS = 16;

  private final byte[] token;

  private AdminToken(String token) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads the token in {@code file}, creating the file with a new random token if it does not exist.
   *
   * @throws OutpostException INVALID_ARGUMENT for a too-short token; INTERNAL if the file cannot be read or written
   */
  public static AdminToken loadOrCreate(Path file, SecureRandom random) {
    try {
      if (!Files.exists(file)) {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String t = HexFormat.of().formatHex(raw);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        try {
          Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
          Files.writeString(file, t + "\n");
          log.info("generated the admin API token in {} (mode 0600)", file);
          return new AdminToken(t);
        } catch (FileAlreadyExistsException raced) {
          // Another start wrote it first: use theirs.
        } catch (UnsupportedOperationException noPosix) {
          Files.writeString(file, t + "\n");
          log.info("generated the admin API token in {}", file);
          return new AdminToken(t);
        }
      }
      String t = Files.readString(file).strip();
      if (t.length() < MIN_CHARS) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "admin.tokenFile " + file + " holds a token of "
            + t.length() + " characters; at least " + MIN_CHARS + " are needed");
      }
      log.info("admin API token read from {}", file);
      return new AdminToken(t);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INTERNAL, "cannot read or create admin.tokenFile " + file + ": "
          + e.getMessage(), e);
    }
  }

  /** True if {@code authorization} is "Bearer &lt;token&gt;" with this token. */
  public boolean accepts(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, token);
  }
}
