package dev.outpost.proxyctl;

import dev.outpost.proxy.admin.AdminFixture;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every proxyctl command, in-process, against a live proxy and origin on 127.0.0.1. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyCtlTest {
  @TempDir
  static Path dir;

  private AdminFixture f;
  private List<byte[]> files;
  private final ObjectMapper json = new ObjectMapper();

  record Result(int code, String out, String err) {}

  @BeforeAll
  void start() {
    f = AdminFixture.start(dir);
    files = f.writeFiles("/proj", 3, 300_000, 11);
    f.writeFiles("/other", 1, 100_000, 12);
    f.snapshot("nightly-1");
  }

  @AfterAll
  void stop() {
    f.close();
  }

  private Result run(boolean terminal, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ProxyCtl.run(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), terminal, 50, args);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Result ctl(String... args) {
    List<String> all = new ArrayList<>(List.of("--admin", f.adminHostPort(), "--token-file",
        f.adminTokenFile.toString()));
    all.addAll(List.of(args));
    return run(false, all.toArray(String[]::new));
  }

  private JsonNode jsonOf(Result r) {
    assertThat(r.code()).as(r.err()).isZero();
    try {
      return json.readTree(r.out());
    } catch (IOException e) {
      throw new AssertionError(r.out(), e);
    }
  }

  @Test
  void statusAndStatsForHumansAndScripts() {
    AdminFixture.readAll(f.viaProxy(), "/other/f0.bin");
    Result human = ctl("status");
    assertThat(human.code()).as(human.err()).isZero();
    assertThat(human.out()).contains("origin    127.0.0.1:" + f.origin.address().getPort() + " CONNECTED since ")
        .contains("cache ").contains("journal   seq ");
    JsonNode s = jsonOf(ctl("status", "--json"));
    assertThat(s.at("/link/state").asText()).isEqualTo("CONNECTED");
    assertThat(s.has("stats")).isTrue();

    Result stats = ctl("stats");
    assertThat(stats.code()).isZero();
    assertThat(stats.out()).contains("requests", "block hits", "WAN bytes saved", "latency", "p99");
    assertThat(jsonOf(ctl("--json", "stats")).get("blockMisses").asLong()).isPositive();
  }

  @Test
  void statusShowsALostLinkSinceWhenAndWhy(@TempDir Path other) throws InterruptedException {
    try (AdminFixture lost = AdminFixture.start(other)) {
      lost.stopOrigin();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
      while (lost.proxy.link().isUp()) {
        assertThat(System.nanoTime()).as("the proxy notices the origin closing").isLessThan(deadline);
        Thread.sleep(5);
      }
      Result human = run(false, "--admin", lost.adminHostPort(), "--token-file", lost.adminTokenFile.toString(),
          "status");
      assertThat(human.code()).as(human.err()).isZero();
      // Within the grace (5 s by default) the link is DEGRADED, then DISCONNECTED: either, with its time and cause.
      assertThat(human.out()).containsPattern("origin    127\\.0\\.0\\.1:\\d+ (DEGRADED|DISCONNECTED) since "
          + "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(\\d+:\\d\\d ago\\)\n")
          // The loss, or the reconnection attempts failing since.
          .containsPattern("\n          last error \\S+Z: (connection lost: |cannot reach 127\\.0\\.0\\.1:)\\S+");
    }
  }

  @Test
  void configFileGivesAddressAndToken() throws IOException {
    Path cfg = dir.resolve("ctl-proxy.yaml");
    String[] port = f.adminHostPort().split(":");
    Files.writeString(cfg, "volume: testvol\ncache:\n  dir: cache\nadmin:\n  host: 127.0.0.1\n  port: " + port[1]
        + "\n  tokenFile: " + AdminFixture.quote(f.adminTokenFile.toString()) + "\n");
    Result r = run(false, "--config", cfg.toString(), "status", "--json");
    assertThat(jsonOf(r).at("/link/state").asText()).isEqualTo("CONNECTED");
    Path off = dir.resolve("no-admin.yaml");
    Files.writeString(off, "volume: testvol\n");
    Result none = run(false, "--config", off.toString(), "status");
    assertThat(none.code()).isEqualTo(1);
    assertThat(none.err()).contains("has no admin section");
  }

  @Test
  void warmWaitPrintsProgressAndTheFinalCounts() {
    Result r = ctl("warm", "--snapshot", "latest", "--path", "/proj", "--wait");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("warm-\\d+ (QUEUED|RUNNING|DONE) .*blocks");
    assertThat(r.out()).containsPattern("warm-\\d+ DONE: 0 blocks \\(0 B\\) already present, \\d+ \\([0-9.]+ KiB\\) fetched, 0 failed; directories listed: 1");
    long before = f.originBlocksSent();
    var c = f.viaProxy();
    for (int i = 0; i < files.size(); i++) {
      assertThat(AdminFixture.readAll(c, "/proj/f" + i + ".bin")).isEqualTo(files.get(i));
    }
    assertThat(f.originBlocksSent() - before).isZero();

    // Again, on a terminal: a bar, and everything already present.
    Result tty = run(true, "--admin", f.adminHostPort(), "--token-file", f.adminTokenFile.toString(), "warm",
        "--snapshot", "nightly-1", "--path", "/proj", "--wait", "--rate", "20MB/s");
    assertThat(tty.code()).as(tty.err()).isZero();
    assertThat(tty.out()).contains("\r[" + "#".repeat(JobProgress.BAR_WIDTH) + "] 100%")
        .containsPattern("DONE: \\d+ blocks .* already present, 0 \\(0 B\\) fetched, 0 failed");

    JsonNode job = jsonOf(ctl("warm", "--snapshot", "", "--path", "/other", "--json", "--wait"));
    assertThat(job.get("state").asText()).isEqualTo("DONE");
    assertThat(job.get("snapshot").asText()).isEmpty();
  }

  @Test
  void jobsListAndCancel() {
    JsonNode queued = jsonOf(ctl("warm", "--snapshot", "nightly-1", "--path", "/proj", "--rate", "1KiB/s", "--json"));
    String id = queued.get("id").asText();
    Result list = ctl("jobs");
    assertThat(list.code()).isZero();
    assertThat(list.out()).contains("ID", "STATE", id, "nightly-1");
    assertThat(jsonOf(ctl("jobs", "--json")).findValuesAsText("id")).contains(id);
    Result cancel = ctl("jobs", "cancel", id);
    assertThat(cancel.code()).as(cancel.err()).isZero();
    assertThat(cancel.out()).isIn(id + " CANCELLED\n", id + " RUNNING\n", id + " DONE\n");
    Result missing = ctl("jobs", "cancel", "warm-999");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).isEqualTo("proxyctl: no job warm-999\n");
  }

  @Test
  void pinUnpinEvictInvalidate() {
    Result warm = ctl("warm", "--snapshot", "", "--path", "/other", "--wait");
    assertThat(warm.code()).as(warm.err()).isZero();
    Result pin = ctl("pin", "/other");
    assertThat(pin.code()).as(pin.err()).isZero();
    assertThat(pin.out()).matches("pinned [1-9][0-9,]* blocks \\(.*\\) under /other\n");
    assertThat(ctl("evict", "/other").out()).startsWith("evicted 0 blocks");
    assertThat(jsonOf(ctl("unpin", "/other", "--json")).get("blocks").asLong()).isPositive();
    assertThat(jsonOf(ctl("evict", "/other", "--json")).get("blocks").asLong()).isPositive();
    Result all = ctl("evict", "--all");
    assertThat(all.code()).isZero();
    assertThat(all.out()).startsWith("evicted ").contains("under / (all unpinned)");

    var c = f.viaProxy();
    c.list("/proj");
    Result inv = ctl("invalidate", "/proj");
    assertThat(inv.code()).as(inv.err()).isZero();
    assertThat(inv.out()).contains("under /proj");
    assertThat(ctl("invalidate", "relative").err()).startsWith("proxyctl: ");
  }

  @Test
  void errorsAreOneClearLine() throws IOException {
    int freePort;
    try (ServerSocket s = new ServerSocket(0)) {
      freePort = s.getLocalPort();
    }
    Result down = run(false, "--admin", "127.0.0.1:" + freePort, "--token-file", f.adminTokenFile.toString(),
        "status");
    assertThat(down.code()).isEqualTo(1);
    assertThat(down.err()).isEqualTo("proxyctl: cannot reach the proxy admin API at 127.0.0.1:" + freePort
        + ": connection refused\n");

    Path wrong = dir.resolve("wrong.token");
    Files.writeString(wrong, "0123456789abcdef0123456789abcdef\n");
    Result badToken = run(false, "--admin", f.adminHostPort(), "--token-file", wrong.toString(), "status");
    assertThat(badToken.code()).isEqualTo(1);
    assertThat(badToken.err()).startsWith("proxyctl: the proxy at " + f.adminHostPort() + " refused the admin token")
        .hasLineCount(1);

    Result noFile = run(false, "--admin", f.adminHostPort(), "--token-file", dir.resolve("nope").toString(), "status");
    assertThat(noFile.code()).isEqualTo(1);
    assertThat(noFile.err()).contains("cannot read the admin token file").contains("no such file");

    Result unknown = ctl("warm", "--snapshot", "no-such-snap", "--path", "/proj");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).isEqualTo("proxyctl: no snapshot 'no-such-snap' on the origin\n");

    assertThat(ctl("evict").code()).isEqualTo(2);
    assertThat(ctl("evict", "/x", "--all").code()).isEqualTo(2);
    assertThat(ctl("warm", "--rate", "fast").code()).isEqualTo(2);
    assertThat(ctl("frobnicate").code()).isEqualTo(2);
    assertThat(run(false).code()).isEqualTo(2);
    Result help = run(false, "warm", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("Examples:", "--snapshot", "--rate");
  }

  @Test
  void ratesParseAsBinaryUnits() {
    assertThat(Units.parseRate("20MB/s")).isEqualTo(20L << 20);
    assertThat(Units.parseRate("512KiB/s")).isEqualTo(512L << 10);
    assertThat(Units.parseRate("1.5M")).isEqualTo(3L << 19);
    assertThat(Units.parseRate("1048576")).isEqualTo(1L << 20);
    assertThat(Units.parseRate("0")).isZero();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Units.parseRate("fast"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Units.bytes(1536)).isEqualTo("1.5 KiB");
    assertThat(Units.duration(3725)).isEqualTo("1:02:05");
  }
}
