package dev.outpost.program;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import picocli.CommandLine;

/** Parses "30d", "12h", "90m", "45s", "500ms" or ISO-8601 ("PT1H") durations for options; shared by the programs. */
public final class Durations implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /** @throws CommandLine.TypeConversionException naming the value, for a bad or non-positive duration */
  public static Duration parse(String value) {
    String v = value.strip();
    try {
      if (v.startsWith("P") || v.startsWith("p")) {
        return positive(value, Duration.parse(v));
      }
      if (v.length() >= 3 && v.regionMatches(true, v.length() - 2, "ms", 0, 2)) {
        return positive(value, Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2))));
      }
      if (v.length() >= 2) {
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        Duration d = switch (Character.toLowerCase(v.charAt(v.length() - 1))) {
          case 'd' -> Duration.ofDays(n);
          case 'h' -> Duration.ofHours(n);
          case 'm' -> Duration.ofMinutes(n);
          case 's' -> Duration.ofSeconds(n);
          default -> null;
        };
        if (d != null) {
          return positive(value, d);
        }
      }
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      // fall through to the one error message below
    }
    throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 30d, 12h, 90m, 45s, 500ms)");
  }

  private static Duration positive(String value, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new CommandLine.TypeConversionException("'" + value + "' must be a positive duration");
    }
    return d;
  }
}
