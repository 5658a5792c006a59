package dev.outpost.bench.wan;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * How child JVMs (origin, proxy, their command-line tools) are started: this JVM's own java binary, the flags of
 * the checkout's {@code jvm.properties}, and this JVM's classpath (which holds origin and proxy: the bench module
 * depends on both at runtime).
 */
public record JvmSetup(Path java, List<String> flags, String classpath) {
  public JvmSetup {
    flags = List.copyOf(flags);
  }

  /**
   * @throws OutpostException NOT_FOUND if the java binary or jvm.properties cannot be found
   */
  public static JvmSetup detect() {
    Path java = ProcessHandle.current().info().command().map(Path::of)
        .orElseThrow(() -> new OutpostException(ErrorCode.NOT_FOUND, "cannot tell which java binary runs this JVM"));
    Path props = findJvmProperties();
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(props)) {
      p.load(r);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "cannot read " + props + ": " + e.getMessage(), e);
    }
    String line = p.getProperty("outpost.jvm.flags", "").strip();
    List<String> flags = line.isEmpty() ? List.of() : Arrays.asList(line.split("\\s+"));
    // Under surefire java.class.path is a manifest-only booter jar; the real one is in this property.
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return new JvmSetup(java, flags, cp);
  }

  private static Path findJvmProperties() {
    String root = System.getProperty("outpost.root");
    if (root != null && !root.isBlank() && Files.isRegularFile(Path.of(root, "jvm.properties"))) {
      return Path.of(root, "jvm.properties");
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("jvm.properties"))) {
        return d.resolve("jvm.properties");
      }
    }
    throw new OutpostException(ErrorCode.NOT_FOUND,
        "no jvm.properties in the working directory or above it (run from the Outpost checkout or set -Doutpost.root)");
  }
}
