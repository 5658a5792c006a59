package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.protocol.codec.WireFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The message table in README.md is the wire table, so the documentation cannot drift from the code. */
class ReadmeTest {
  private static final Pattern ROW = Pattern.compile("(?m)^\\| 0x([0-9A-F]{4}) \\| (\\w+)\\s*\\|");

  @Test
  void readmeTableMatchesTheWireTable() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    Map<Integer, String> documented = new TreeMap<>();
    Matcher m = ROW.matcher(readme);
    while (m.find()) {
      documented.put(Integer.parseInt(m.group(1), 16), m.group(2));
    }
    Map<Integer, String> actual = new TreeMap<>();
    WireFormat.types().forEach((type, c) -> actual.put(type, c.getSimpleName()));
    assertThat(documented).isEqualTo(actual);
  }
}
