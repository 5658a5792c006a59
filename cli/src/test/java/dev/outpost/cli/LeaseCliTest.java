package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.OutpostClient;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.transport.Relay;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code outpost lease} in-process against a real origin, each run its own connection (so its own party, as two
 * scripts are): the exit codes a script branches on, the token printed, the listing, and {@code lease run}.
 */
@Timeout(120)
class LeaseCliTest {
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

  static Run cliAt(String server, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    int dashes = all.indexOf("--");
    List<String> flags = List.of("--server", server, "--token-file", tokenFile.toString(), "--key-file",
        origin.keyFile().toString());
    all.addAll(dashes < 0 ? all.size() : dashes, flags);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new OutpostMain(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false).run(all.toArray(String[]::new));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Run cli(String... args) {
    return cliAt(origin.address(), args);
  }

  static Run expect(int code, String... args) {
    Run r = cli(args);
    assertThat(r.code()).as("exit code of %s; stdout: %s; stderr: %s", List.of(args), r.out(), r.err())
        .isEqualTo(code);
    return r;
  }

  @Test
  void acquireListPutReleaseAndTheExitCodesAScriptSees(@TempDir Path local) throws IOException {
    Path file = local.resolve("plan.txt");
    Files.writeString(file, "the plan\n");
    String token = expect(0, "lease", "acquire", "/plan.txt", "--ttl", "5m").out().strip();
    assertThat(Long.parseLong(token)).isPositive();

    // Held by another party: 3 at once, and 3 again after a bounded wait (the holder process is gone: nobody
    // honours the recall).
    assertThat(expect(3, "lease", "acquire", "/plan.txt").err()).contains("held by").contains("token " + token);
    long waited = System.nanoTime();
    expect(3, "lease", "acquire", "/plan.txt", "--shared", "--wait", "300ms");
    assertThat(System.nanoTime() - waited).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
    // A write without the lease is held off (3); with its token it goes through.
    expect(3, "put", file.toString(), "/plan.txt");
    expect(0, "put", file.toString(), "/plan.txt", "--lease", token);

    Run list = expect(0, "lease", "list");
    assertThat(list.out()).contains(token).contains("exclusive").contains("/plan.txt").contains("(recalled)");
    assertThat(expect(0, "lease", "list", "/plan.txt", "--json").out())
        .contains("\"token\":" + token, "\"mode\":\"exclusive\"", "\"path\":\"/plan.txt\"", "\"recalled\":true");
    assertThat(expect(0, "lease", "list", "/elsewhere").out()).isEqualTo("no leases on /elsewhere\n");

    assertThat(expect(0, "lease", "renew", "/plan.txt", token, "--ttl", "10m").out()).contains("until");
    expect(0, "lease", "release", "/plan.txt", token);
    expect(0, "lease", "release", "/plan.txt", token); // released already: nothing to do
    // The old token is not current any more: 4 for renew and for a write under it.
    expect(4, "lease", "renew", "/plan.txt", token);
    String json = expect(0, "lease", "acquire", "/plan.txt", "--shared", "--subtree", "--json").out();
    assertThat(json).contains("\"mode\":\"shared\"", "\"subtree\":true", "\"token\":");
    long second = Long.parseLong(json.replaceAll(".*\"token\":(\\d+).*\\s*", "$1"));
    assertThat(second).isGreaterThan(Long.parseLong(token));
    expect(4, "mkdir", "/plan.d", "--lease", token);
    // Usage errors stay 2.
    expect(2, "lease", "acquire");
    expect(2, "lease", "acquire", "/plan.txt", "--ttl", "-1s");
    expect(2, "lease", "acquire", "/plan.txt", "--shared", "--exclusive");
    expect(0, "lease", "release", "/plan.txt", Long.toString(second));
  }

  @Test
  void runHoldsTheLeaseWhileTheCommandRunsAndExitsWithItsCode() throws Exception {
    Path seen = dir.resolve("seen-token");
    Run r = expect(7, "lease", "run", "/build.lock", "--", "sh", "-c",
        "echo $OUTPOST_LEASE_PATH $OUTPOST_LEASE_TOKEN > " + seen + "; exit 7");
    String[] env = Files.readString(seen).strip().split(" ");
    assertThat(env[0]).isEqualTo("/build.lock");
    assertThat(Long.parseLong(env[1])).isPositive();
    assertThat(r.err()).isEmpty();
    // Released at the end: acquirable at once.
    String t = expect(0, "lease", "acquire", "/build.lock").out().strip();
    // While someone holds it, run does not start the command.
    Path marker = dir.resolve("ran");
    expect(3, "lease", "run", "/build.lock", "--", "touch", marker.toString());
    assertThat(marker).doesNotExist();
    expect(0, "lease", "release", "/build.lock", t);
    // A command that cannot be started: 1, and the lease is given back.
    expect(1, "lease", "run", "/build.lock", "--", dir.resolve("no-such-program").toString());
    expect(0, "lease", "release", "/build.lock", expect(0, "lease", "acquire", "/build.lock").out().strip());
  }

  @Test
  void runStopsTheCommandAndExitsFourWhenTheLeaseIsLost() throws Exception {
    try (Relay wan = new Relay(origin.server().address().getPort());
        OutpostClient observer = TestOrigins.client(origin)) {
      CompletableFuture<Run> run = CompletableFuture.supplyAsync(() -> cliAt(wan.address(), "lease", "run",
          "/job.lock", "--ttl", "1s", "--", "sleep", "60"));
      while (observer.leases("/job.lock").leases().isEmpty()) {
        assertThat(run).isNotDone();
        Thread.sleep(20);
      }
      long granted = observer.leases("/job.lock").leases().getFirst().token();
      wan.refuse(true);
      wan.cutAll();
      Run r = run.get(60, TimeUnit.SECONDS);
      assertThat(r.code()).as("stderr: %s", r.err()).isEqualTo(4);
      assertThat(r.err()).contains("lapsed: no renewal reached the origin").contains("stopping sleep");
      // The origin lets it lapse (its clock is a little behind the holder's count); nobody acquired it again.
      while (!observer.leases("/job.lock").leases().isEmpty()) {
        assertThat(observer.leases("/job.lock").leases()).extracting(LeaseInfo::token).containsExactly(granted);
        Thread.sleep(20);
      }
    }
  }
}
