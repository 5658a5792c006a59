package dev.outpost.cli;

import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;

/** How entries are printed: `ls -l` lines and JSON objects. */
final class Entries {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
      .withZone(ZoneOffset.UTC);

  private Entries() {}

  static String typeChar(FileType t) {
    return switch (t) {
      case FILE -> "-";
      case DIRECTORY -> "d";
      case SYMLINK -> "l";
    };
  }

  static String modeString(FileAttr a) {
    StringBuilder b = new StringBuilder(typeChar(a.type()));
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      b.append((a.mode() & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return b.toString();
  }

  static String longLine(String name, FileAttr a) {
    String shown = a.type() == FileType.DIRECTORY ? name + "/"
        : a.type() == FileType.SYMLINK ? name + " -> " + a.linkTarget() : name;
    return String.format(Locale.ROOT, "%s %12d %s v%-5d %s", modeString(a), a.size(),
        TIME.format(Instant.ofEpochMilli(a.mtimeMillis())), a.version(), shown);
  }

  /** One JSON object; {@code staleSinceMillis} only when a cut-off branch answered from its cache. */
  static String json(String path, FileAttr a, Optional<Instant> staleSince) {
    return "{\"path\":" + quote(path) + ",\"type\":\"" + a.type().name().toLowerCase(Locale.ROOT) + "\",\"inode\":"
        + a.inode() + ",\"mode\":\"" + String.format("%04o", a.mode()) + "\",\"size\":" + a.size()
        + ",\"mtimeMillis\":" + a.mtimeMillis() + ",\"version\":" + a.version()
        + (a.type() == FileType.SYMLINK ? ",\"target\":" + quote(a.linkTarget()) : "")
        + staleSince.map(t -> ",\"staleSinceMillis\":" + t.toEpochMilli()).orElse("") + "}";
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
