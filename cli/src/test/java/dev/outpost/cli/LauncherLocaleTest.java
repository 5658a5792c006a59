package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.OutpostClient;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code outpost} as a user runs it: a separate JVM started by the real {@code bin/launch}, under the C, POSIX (set
 * through LC_ALL) and C.UTF-8 locales (CI often runs under C, where the JVM would decode argv and file names as ASCII and put U+FFFD
 * in every non-ASCII name). Names are passed and compared as raw bytes ({@code bash $'...'}, stdout bytes), never
 * through this JVM's own charset.
 */
class LauncherLocaleTest {
  @TempDir
  static Path dir;
  static EmbeddedOrigin origin;
  static OutpostClient client;
  static Path tokenFile;
  /** The repository checkout this test runs in (the module's parent). */
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  /** A "module" for bin/launch whose classpath is this test's, so the launcher needs no build. */
  static final String MODULE = "cli/target/launcher-test";
  /**
   * The CLI's own logging configuration. This test's classpath also holds the origin's and the tests' (the
   * launcher's runtime classpath does not), and logback would print a status report about them on stdout.
   */
  static final Path LOGBACK = ROOT.resolve("cli/src/main/resources/logback.xml");

  record Run(int code, byte[] out, String err) {
    String outText() {
      return new String(out, StandardCharsets.UTF_8);
    }
  }

  @BeforeAll
  static void start() throws IOException {
    origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
    client = TestOrigins.client(origin);
    tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, origin.adminToken() + "\n");
    // bin/launch runs MODULE/target/classes + the classpath in MODULE/target/classpath.txt; written now, it is newer
    // than every source, so the launcher does not rebuild.
    Path cp = Files.createDirectories(ROOT.resolve(MODULE).resolve("target")).resolve("classpath.txt");
    Files.writeString(cp, System.getProperty("java.class.path"));
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"LANG=C", "LC_ALL=POSIX", "LANG=C.UTF-8"})
  void utf8NamesRoundTripExactlyAndOtherBytesAreRefused(String locale) throws Exception {
    String top = "/loc-" + locale.replace('=', '-');
    // é (NFC), e + combining acute (NFD), 日本, an emoji: four different names, none normalised or replaced.
    Run mkdir = outpost(locale, "mkdir -p " + top + "/$'caf\\xc3\\xa9' " + top + "/$'cafe\\xcc\\x81' " + top
        + "/$'\\xe6\\x97\\xa5\\xe6\\x9c\\xac'/$'\\xf0\\x9f\\x98\\x80'");
    assertThat(mkdir.code()).as(mkdir.err()).isZero();
    assertThat(names(top)).containsExactlyInAnyOrder("caf\u00e9", "cafe\u0301", "\u65e5\u672c");
    assertThat(names(top + "/\u65e5\u672c")).containsExactly("\uD83D\uDE00");

    Run ls = outpost(locale, "ls " + top + "/$'\\xe6\\x97\\xa5\\xe6\\x9c\\xac'");
    assertThat(ls.code()).as(ls.err()).isZero();
    assertThat(ls.out()).isEqualTo("\uD83D\uDE00/\n".getBytes(StandardCharsets.UTF_8));

    Run bad = outpost(locale, "mkdir " + top + "/$'\\xff\\xfe'");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).hasLineCount(1).startsWith("outpost: argument '" + top + "/\uFFFD\uFFFD'")
        .contains("not valid UTF-8");
    assertThat(names(top)).hasSize(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"LANG=C", "LANG=C.UTF-8"})
  void importKeepsUtf8NamesAndReportsTheRest(String locale) throws Exception {
    Path tree = Files.createDirectories(dir.resolve("tree-" + locale.replace('=', '-')));
    run(List.of("bash", "-c", "cd \"$0\" && printf 1 > $'caf\\xc3\\xa9' && printf 2 > $'bad\\xff'"
        + " && mkdir $'\\xe6\\x97\\xa5' && printf 3 > $'\\xe6\\x97\\xa5/real\\xef\\xbf\\xbd'", tree.toString()), Map.of());
    String remote = "/imp-" + locale.replace('=', '-');

    Run r = outpost(locale, "import " + tree + " " + remote);
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    List<String> errors = r.err().lines().filter(l -> l.startsWith("outpost: ")).toList();
    assertThat(errors).singleElement().satisfies(l -> assertThat(l)
        .isEqualTo("outpost: import " + tree.resolve("bad\uFFFD")
            + ": name is not valid UTF-8 (shown with U+FFFD); rename it to import it"));
    assertThat(names(remote)).containsExactlyInAnyOrder("caf\u00e9", "\u65e5");
    // A genuine U+FFFD (EF BF BD) is a valid name: imported as it is.
    assertThat(names(remote + "/\u65e5")).containsExactly("real\uFFFD");
    assertThat(client.stat(remote + "/caf\u00e9").type()).isEqualTo(FileType.FILE);
  }

  /** Without the launcher's locale, a C-locale JVM still prints names as UTF-8, never as '?'. */
  @Test
  void theJvmAloneUnderTheCLocalePrintsNamesAsUtf8() throws Exception {
    client.mkdir("/direct/caf\u00e9", true);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Dlogback.configurationFile=" + LOGBACK, "-cp",
        System.getProperty("java.class.path"), OutpostMain.class.getName(), "ls", "/direct"));
    cmd.addAll(connection());
    Run r = run(cmd, Map.of("LANG", "C"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("caf\u00e9/\n".getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> names(String path) {
    return client.list(path).stream().map(DirEntry::name).toList();
  }

  private static List<String> connection() {
    return List.of("--server", origin.address(), "--token-file", tokenFile.toString(), "--key-file",
        origin.keyFile().toString());
  }

  /**
   * {@code bin/launch ... OutpostMain ARGS} with only {@code locale} ("LANG=C") of the locale variables set; ARGS is
   * bash text, so $'..' gives raw bytes.
   */
  private static Run outpost(String locale, String args) throws Exception {
    String script = "exec \"$0\" " + MODULE + " " + OutpostMain.class.getName() + " " + args + " \"$@\"";
    List<String> cmd = new ArrayList<>(List.of("bash", "-c", script, ROOT.resolve("bin/launch").toString()));
    cmd.addAll(connection());
    String[] variable = locale.split("=", 2);
    return run(cmd, Map.of(variable[0], variable[1], "OUTPOST_LOGBACK", LOGBACK.toString()));
  }

  private static Run run(List<String> cmd, Map<String, String> env) throws Exception {
    Path err = Files.createTempFile(dir, "stderr", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG"));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " did not finish within 120 s");
    }
    return new Run(p.exitValue(), out, Files.readString(err, StandardCharsets.UTF_8));
  }
}
