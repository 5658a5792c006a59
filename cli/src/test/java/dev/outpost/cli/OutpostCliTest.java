package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.ClientConfig;
import dev.outpost.core.Utf8;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.protocol.DirEntry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The CLI in-process against a real origin: outputs, error lines and exit codes. */
class OutpostCliTest {
  @TempDir
  static Path dir;
  static EmbeddedOrigin origin;
  static Path tokenFile;

  record Run(int code, String out, String err) {}

  @BeforeAll
  static void start() throws IOException {
    origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
    tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, origin.adminToken() + "\n");
  }

  @AfterAll
  static void stop() {
    if (origin != null) {
      origin.close();
    }
  }

  static Run raw(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new OutpostMain(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false).run(args);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Runs a subcommand with the connection flags appended. */
  static Run cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--server", origin.address(), "--token-file", tokenFile.toString(), "--key-file",
        origin.keyFile().toString(), "-j", "2"));
    return raw(all.toArray(String[]::new));
  }

  static Run ok(String... args) {
    Run r = cli(args);
    assertThat(r.code()).as("exit code of %s; stderr: %s", List.of(args), r.err()).isZero();
    return r;
  }

  @Test
  void putLsStatCatGetMvRm(@TempDir Path local) throws IOException {
    byte[] data = new byte[300_000];
    new Random(1).nextBytes(data);
    Path src = local.resolve("report.bin");
    Files.write(src, data);
    ok("mkdir", "-p", "/docs/2026");
    Run put = ok("put", src.toString(), "/docs/2026/");
    assertThat(put.out()).contains("put " + src + " -> /docs/2026/report.bin: 293.0 KiB read");
    assertThat(ok("ls", "/docs/2026").out()).isEqualTo("report.bin\n");
    assertThat(ok("ls", "-l", "/docs").out()).startsWith("drwxr-xr-x").contains("2026/");
    assertThat(ok("ls", "--json", "/docs/2026").out()).contains("\"path\":\"/docs/2026/report.bin\"", "\"size\":300000");
    assertThat(ok("stat", "/docs/2026/report.bin").out()).contains("type:    file", "size:    300000");

    Run cat = ok("cat", "/docs/2026/report.bin");
    assertThat(cat.out().getBytes(StandardCharsets.ISO_8859_1).length).isPositive();
    Path dst = local.resolve("copy.bin");
    ok("get", "/docs/2026/report.bin", dst.toString());
    assertThat(Files.readAllBytes(dst)).isEqualTo(data);

    ok("mv", "/docs/2026/report.bin", "/docs/final.bin");
    ok("ln", "-s", "final.bin", "/docs/latest");
    assertThat(ok("ls", "-l", "/docs").out()).contains("latest -> final.bin");
    ok("rm", "-r", "/docs");
    assertThat(cli("stat", "/docs").code()).isEqualTo(1);
  }

  @Test
  void statAndLsSayWhenACutOffBranchAnsweredFromItsCache() {
    ok("mkdir", "-p", "/stale");
    ok("ln", "-s", "x", "/stale/link");
    java.time.Instant cut = java.time.Instant.parse("2026-12-04T08:30:00Z");
    try (dev.outpost.origin.server.StaleBranch branch =
        dev.outpost.origin.server.StaleBranch.start(origin.server().volume(), cut.toEpochMilli())) {
      String[] via = {"--server", branch.address(), "--token", "any", "--key-file", origin.keyFile().toString()};
      Run stat = raw(concat(new String[] {"stat", "/stale/link"}, via));
      assertThat(stat.code()).as(stat.err()).isZero();
      assertThat(stat.out()).contains("type:    symlink -> x", "stale since 2026-12-04T08:30:00Z (the branch has not "
          + "heard from the origin since");
      Run ls = raw(concat(new String[] {"ls", "-l", "/stale"}, via));
      assertThat(ls.out()).startsWith("stale since 2026-12-04T08:30:00Z: the branch has not heard from the origin\n")
          .contains("link -> x");
      assertThat(raw(concat(new String[] {"ls", "--json", "/stale"}, via)).out())
          .contains("\"staleSinceMillis\":" + cut.toEpochMilli());
    }
    assertThat(ok("stat", "/stale/link").out()).doesNotContain("stale since");
    assertThat(ok("ls", "--json", "/stale").out()).doesNotContain("staleSince");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void catWritesTheExactBytes() throws IOException {
    ok("mkdir", "-p", "/text");
    Path f = dir.resolve("hello.txt");
    Files.writeString(f, "hello, outpost\n");
    ok("put", f.toString(), "/text/hello.txt");
    assertThat(ok("cat", "/text/hello.txt").out()).isEqualTo("hello, outpost\n");
  }

  @Test
  void aMissingPathIsOneLineAndExitCodeOne() {
    Run r = cli("stat", "/no/such/thing");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("outpost: no such file: /no/such/thing").hasLineCount(1);
    assertThat(r.out()).isEmpty();
  }

  @Test
  void aBadTokenIsOneLineAndExitCodeOne() {
    Run r = raw("ls", "/", "--server", origin.address(), "--token", "garbage", "--key-file", origin.keyFile().toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("outpost: ").hasLineCount(1);
  }

  @Test
  void anUnreachableServerIsOneLineAndExitCodeOne() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = raw("ls", "/", "--server", "127.0.0.1:" + port, "--token-file", tokenFile.toString(), "--key-file",
        origin.keyFile().toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("outpost: cannot reach 127.0.0.1:" + port).hasLineCount(1);
  }

  @Test
  void tlsToAPlainServerFailsWithAHintNotAHang() {
    Run r = raw("ls", "/", "--server", origin.address(), "--token-file", tokenFile.toString(), "--key-file",
        origin.keyFile().toString(), "--tls-ca", origin.dataDir().resolve("tls/ca.pem").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("outpost: ").hasLineCount(1);
    Run half = raw("ls", "/", "--server", origin.address(), "--token", "t", "--key-file", "k", "--tls-cert", "c");
    assertThat(half.code()).isEqualTo(2);
    assertThat(half.err()).contains("needs both --tls-cert and --tls-key");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(raw().code()).isEqualTo(2);
    assertThat(raw("frobnicate").code()).isEqualTo(2);
    Run noServer = raw("ls", "/", "--config", dir.resolve("absent.yaml").toString());
    assertThat(noServer.code()).isEqualTo(2);
    Run missing = raw("ls", "/", "--token", "x", "--key-file", "k");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("no server given");
    assertThat(cli("ln", "target").code()).isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ls", "stat", "cat", "get", "put", "rm", "mv", "mkdir", "ln", "watch", "import"})
  void everySubcommandsHelpShowsAnExample(String command) {
    Run r = raw(command, "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Example:", "outpost " + command);
  }

  @Test
  void settingsComeFromAConfigFile() throws IOException {
    Path yaml = dir.resolve("client.yaml");
    Files.writeString(yaml, "server: " + origin.address() + "\ntokenFile: " + tokenFile + "\nkeyFile: "
        + origin.keyFile() + "\nparallelism: 3\n");
    ok("mkdir", "-p", "/cfg");
    assertThat(raw("ls", "/", "--config", yaml.toString()).out()).contains("cfg/");
    Path props = dir.resolve("client.properties");
    Files.writeString(props, "server=" + origin.address() + "\ntoken=" + origin.adminToken() + "\nkeyFile="
        + origin.keyFile() + "\n");
    assertThat(raw("ls", "/", "--config", props.toString()).out()).contains("cfg/");
    Path reconnecting = dir.resolve("reconnect.yaml");
    Files.writeString(reconnecting, "server: " + origin.address() + "\ntokenFile: " + tokenFile + "\nkeyFile: "
        + origin.keyFile() + "\nconnectTimeoutMillis: 2500\nreconnectInitialMillis: 50\nreconnectMaxMillis: 700\n"
        + "heartbeatIntervalMillis: 500\nheartbeatTimeoutMillis: 1500\n");
    ClientOptions options = new ClientOptions();
    options.configFile = reconnecting;
    ClientConfig c = options.config(new CommandLine(options));
    assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(c.reconnect()).isEqualTo(new ClientConfig.Reconnect(50, 700));
    assertThat(c.heartbeat()).isEqualTo(new ClientConfig.Heartbeat(500, 1500));
    assertThat(raw("ls", "/", "--config", reconnecting.toString()).out()).contains("cfg/");
    Path badDelay = dir.resolve("bad-delay.yaml");
    Files.writeString(badDelay, "server: x:1\ntoken: t\nkeyFile: k\nreconnectInitialMillis: 0\n");
    Run delay = raw("ls", "/", "--config", badDelay.toString());
    assertThat(delay.code()).isEqualTo(2);
    assertThat(delay.err()).contains("reconnect.initialMillis");
    Path badHeartbeat = dir.resolve("bad-heartbeat.yaml");
    Files.writeString(badHeartbeat, "server: x:1\ntoken: t\nkeyFile: k\nheartbeatIntervalMillis: 1000\n"
        + "heartbeatTimeoutMillis: 1500\n");
    Run heartbeat = raw("ls", "/", "--config", badHeartbeat.toString());
    assertThat(heartbeat.code()).isEqualTo(2);
    assertThat(heartbeat.err()).contains("heartbeat.timeoutMillis: 1500 is not valid (expected 2000..3600000, at least twice the interval)");
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "server: x:1\nsurver: y\n");
    Run r = raw("ls", "/", "--config", bad.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("unknown setting 'surver'");
  }

  @Test
  void importIsDedupAwareAndResumable(@TempDir Path tree) throws IOException {
    Random rnd = new Random(5);
    byte[] shared = new byte[200_000];
    rnd.nextBytes(shared);
    Files.createDirectories(tree.resolve("a/b"));
    Files.createDirectories(tree.resolve("empty-dir"));
    Files.write(tree.resolve("a/one.bin"), shared);
    Files.write(tree.resolve("a/b/same-as-one.bin"), shared);
    byte[] other = new byte[500_000];
    rnd.nextBytes(other);
    Files.write(tree.resolve("a/b/other.bin"), other);
    Files.write(tree.resolve("empty.txt"), new byte[0]);
    Files.createSymbolicLink(tree.resolve("a/link"), Path.of("one.bin"));
    Files.setLastModifiedTime(tree.resolve("a/one.bin"), FileTime.fromMillis(1_500_000_000_000L));

    Run first = ok("import", tree.toString(), "/imported");
    assertThat(first.out()).contains("imported 4 files (4 uploaded, 0 unchanged, 0 failed)");
    assertThat(ok("stat", "--json", "/imported/a/one.bin").out()).contains("\"mtimeMillis\":1500000000000");
    assertThat(ok("ls", "/imported/a/b").out()).isEqualTo("other.bin\nsame-as-one.bin\n");
    assertThat(ok("ls", "/imported").out()).contains("empty-dir/");
    assertThat(ok("cat", "/imported/a/b/same-as-one.bin").out().length()).isPositive();

    Run second = ok("import", tree.toString(), "/imported");
    assertThat(second.out()).contains("imported 4 files (0 uploaded, 4 unchanged, 0 failed)", "0 B read, 0 B uploaded");

    // A changed file is uploaded again; its unchanged chunks are not.
    other[10] ^= 1;
    Files.write(tree.resolve("a/b/other.bin"), other);
    Run third = ok("import", tree.toString(), "/imported");
    assertThat(third.out()).contains("imported 4 files (1 uploaded, 3 unchanged, 0 failed)");
  }

  @Test
  void importDrawsAProgressBarOnATerminal(@TempDir Path tree) throws IOException {
    Files.write(tree.resolve("x.bin"), new byte[70_000]);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new OutpostMain(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), true).run("import", tree.toString(), "/bar",
        "--server", origin.address(), "--token-file", tokenFile.toString(), "--key-file", origin.keyFile().toString());
    assertThat(code).isZero();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("\r[" + "#".repeat(30) + "] 100% 1/1 files");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("imported 1 files (1 uploaded");
  }

  /** What the JVM makes of argv bytes that are not UTF-8 (U+FFFD), or a lone surrogate: refused, never stored. */
  @ParameterizedTest
  @ValueSource(strings = {"mkdir|/x\uFFFD\uFFFD", "mkdir|/x\uD800", "mv|/moved|/y\uFFFD", "ln|-s|t\uFFFD|/l",
      "ls|/\uFFFD", "put|/nowhere/\uFFFD.txt|/dst/"})
  void argumentsThatMayHaveLostBytesAreRefusedWithExitOne(String command) {
    ok("mkdir", "-p", "/dst");
    ok("mkdir", "-p", "/moved");
    String[] args = command.split("\\|");
    String bad = Arrays.stream(args).filter(a -> a.chars().anyMatch(c -> c == 0xFFFD
        || Character.isSurrogate((char) c))).findFirst().orElseThrow();
    Run r = cli(args);
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).hasLineCount(1).startsWith("outpost: argument '")
        .contains(Utf8.escapeUnpaired(bad), "not valid UTF-8");
    try (var client = TestOrigins.client(origin)) {
      assertThat(client.statIfExists("/x\uFFFD\uFFFD")).isEmpty();
      assertThat(client.statIfExists("/moved")).isPresent();
      assertThat(client.statIfExists("/l")).isEmpty();
    }
  }

  /** The refusal names the argument, but never echoes a secret. */
  @Test
  void aTokenThatMayHaveLostBytesIsRefusedWithoutShowingIt() {
    for (List<String> token : List.of(List.of("--token", "s3cret\uFFFD"), List.of("--token=s3cret\uFFFD"))) {
      List<String> args = new ArrayList<>(List.of("ls", "/", "--server", origin.address()));
      args.addAll(token);
      Run r = raw(args.toArray(String[]::new));
      assertThat(r.code()).as(r.err()).isEqualTo(1);
      assertThat(r.err()).hasLineCount(1).startsWith("outpost: argument of --token (not shown) is not valid UTF-8")
          .doesNotContain("s3cret");
    }
  }

  /** A local name whose bytes are not UTF-8 is reported (exit 1) and its subtree not imported; the rest is. */
  @Test
  void importReportsLocalNamesThatAreNotUtf8(@TempDir Path tree) throws Exception {
    Files.writeString(tree.resolve("ok.txt"), "fine");
    Files.createDirectories(tree.resolve("sub"));
    Files.writeString(tree.resolve("sub/fine.txt"), "fine too");
    // The JDK cannot name these files (it decodes their names with U+FFFD), so a shell makes them.
    Process p = new ProcessBuilder("sh", "-c", "printf x > \"$(printf 'bad\\377')\" && printf y > \"$(printf 'bad\\376')\""
        + " && mkdir \"$(printf 'dir\\376')\" && printf z > \"$(printf 'dir\\376')/child.txt\""
        + " && printf w > \"$(printf 'sub/also\\355\\240\\200')\" && ln -s \"$(printf 'bad\\377')\" link-to-bad")
        .directory(tree.toFile()).inheritIO().start();
    assertThat(p.waitFor()).isZero();

    Run r = cli("import", tree.toString(), "/imp");
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    List<String> lines = r.err().lines().filter(l -> l.startsWith("outpost: ")).toList(); // not the progress lines
    assertThat(lines).hasSize(5).allSatisfy(l -> assertThat(l).startsWith("outpost: import ").contains("not valid UTF-8"));
    assertThat(r.err()).contains(tree.resolve("bad\uFFFD").toString(), tree.resolve("dir\uFFFD").toString(),
        "sub/also\uFFFD", "link-to-bad");
    assertThat(r.err()).doesNotContain("child.txt");
    assertThat(r.out()).contains("imported 2 files (2 uploaded, 0 unchanged, 5 failed)");
    try (var client = TestOrigins.client(origin)) {
      assertThat(client.list("/imp").stream().map(DirEntry::name)).containsExactly("ok.txt", "sub");
      assertThat(client.list("/imp/sub").stream().map(DirEntry::name)).containsExactly("fine.txt");
    }
  }

  @Test
  void watchPrintsJournalEntries() {
    ok("mkdir", "-p", "/w/x");
    Run r = ok("watch", "--from", "0", "--count", "2", "/w");
    assertThat(r.out()).contains("CREATED /w v", "CREATED /w/x v");
    assertThat(r.out().lines()).hasSize(2);
  }
}
