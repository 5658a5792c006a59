package dev.outpost.origin.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.crypto.AccessToken;
import dev.outpost.crypto.VolumeKeyFile;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.origin.server.OriginFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OriginMainTest {
  @TempDir
  Path tmp;
  final Clock clock = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);

  private CliRunner.Result run(String... args) {
    return CliRunner.run(tmp, clock, args);
  }

  @Test
  void initCreatesTheVolumeAndKeepsTheVolumeKeyOutsideTheDataDirectory() throws Exception {
    CliRunner.Result r = run("init", "--data", "origin-data", "--volume", "projects");
    assertThat(r.code()).as(r.err()).isZero();
    Path key = tmp.resolve("projects.volume-key");
    assertThat(r.out()).contains(key.toString()).contains("admin token").contains("tls");
    assertThat(r.err()).contains("WARNING").contains("clients only");
    assertThat(VolumeKeyFile.read(key).volume()).isEqualTo("projects");
    OriginDataDir dir = new OriginDataDir(tmp.resolve("origin-data"));
    assertThat(dir.initialised()).isTrue();
    assertThat(dir.serverCert()).exists();
    assertThat(dir.proxyKey()).exists();
    try (var files = Files.walk(dir.root())) {
      assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.endsWith("volume-key"));
    }
    String admin = Files.readString(tmp.resolve("projects.admin-token")).strip();
    assertThat(dir.verifier(clock).verify(admin, "projects").mode()).isEqualTo(AccessToken.Mode.ADMIN);

    CliRunner.Result again = run("init", "--data", "origin-data", "--volume", "projects", "--key-out", "other.key",
        "--token-out", "other.token");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err().strip()).startsWith("outpost-origin: ").contains("not empty").doesNotContain("\n");
    CliRunner.Result inside = run("init", "--data", "d2", "--volume", "v", "--key-out", "d2/v.key");
    assertThat(inside.code()).isEqualTo(1);
    assertThat(inside.err()).contains("inside the data directory");
  }

  @Test
  void usageErrorsExitWithTwoAndHelpShowsExamples() {
    assertThat(run().code()).isEqualTo(2);
    assertThat(run("init", "--volume", "x").code()).isEqualTo(2);
    CliRunner.Result bad = run("token", "issue", "--data", "d", "--mode", "root", "--subject", "s");
    assertThat(bad.code()).isEqualTo(2);
    CliRunner.Result help = run("token", "issue", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("Examples:").contains("--ttl 30d");
  }

  @Test
  void tokenIssueSignsAVerifiableToken() throws Exception {
    assertThat(run("init", "--data", "d", "--volume", "vol").code()).isZero();
    CliRunner.Result r = run("token", "issue", "--data", "d", "--mode", "ro", "--subject", "branch-1", "--ttl", "12h");
    assertThat(r.code()).as(r.err()).isZero();
    AccessToken t = new OriginDataDir(tmp.resolve("d")).verifier(clock).verify(r.out().strip(), "vol");
    assertThat(t.mode()).isEqualTo(AccessToken.Mode.RO);
    assertThat(t.subject()).isEqualTo("branch-1");
    assertThat(t.expiresAt()).isEqualTo(clock.instant().plusSeconds(12 * 3600));
    JsonNode json = new ObjectMapper().readTree(
        run("token", "issue", "--data", "d", "--mode", "rw", "--subject", "s", "--json").out());
    assertThat(json.get("mode").asText()).isEqualTo("rw");
    assertThat(run("token", "issue", "--data", "nowhere", "--mode", "rw", "--subject", "s").code()).isEqualTo(1);
  }

  @Test
  void snapshotCommandsTalkToARunningServerOverTls() throws Exception {
    try (OriginFixture origin = OriginFixture.start(tmp.resolve("srv"), "", true)) {
      String server = "127.0.0.1:" + origin.address().getPort();
      Path tokenFile = tmp.resolve("srv/admin.token");
      String data = origin.data.toString();
      Clock c = origin.clock;
      CliRunner.Result created = CliRunner.run(tmp, c, "snapshot", "create", "first", "--server", server, "--data", data,
          "--token-file", tokenFile.toString());
      assertThat(created.code()).as(created.err()).isZero();
      assertThat(created.out()).contains("snapshot first created");
      CliRunner.Result auto = CliRunner.run(tmp, c, "snapshot", "create", "--auto", "--server", server, "--data", data,
          "--token-file", tokenFile.toString(), "--json");
      assertThat(auto.code()).as(auto.err()).isZero();
      assertThat(new ObjectMapper().readTree(auto.out()).get(0).get("name").asText()).isEqualTo("auto-20261123-100000");
      CliRunner.Result list = CliRunner.run(tmp, c, "snapshot", "list", "--server", server, "--data", data,
          "--token-file", tokenFile.toString(), "--json");
      assertThat(list.code()).as(list.err()).isZero();
      assertThat(new ObjectMapper().readTree(list.out())).hasSize(2);
      assertThat(CliRunner.run(tmp, c, "snapshot", "delete", "first", "--server", server, "--data", data,
          "--token-file", tokenFile.toString()).code()).isZero();
      String ro = origin.token(AccessToken.Mode.RO, "reader", java.time.Duration.ofHours(1));
      CliRunner.Result forbidden = CliRunner.run(tmp, c, "snapshot", "create", "nope", "--server", server, "--data", data,
          "--token", ro);
      assertThat(forbidden.code()).isEqualTo(1);
      assertThat(forbidden.err()).startsWith("outpost-origin: snapshot create needs an admin token");
    }
  }

  @Test
  void anUnreachableServerIsOneClearLine() {
    CliRunner.Result r = run("snapshot", "list", "--server", "127.0.0.1:1", "--token", "t");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("outpost-origin: cannot reach 127.0.0.1:1");
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void fsckAndGcRunOffline() {
    assertThat(run("init", "--data", "d", "--volume", "vol").code()).isZero();
    CliRunner.Result fsck = run("fsck", "--data", "d");
    assertThat(fsck.code()).as(fsck.err()).isZero();
    assertThat(fsck.out()).contains("vol is healthy");
    CliRunner.Result gc = run("gc", "--data", "d", "--grace", "1h");
    assertThat(gc.code()).as(gc.err()).isZero();
    assertThat(gc.out()).startsWith("gc: kept 0 blocks, freed 0 blocks");
    assertThat(run("fsck", "--data", "missing").code()).isEqualTo(1);
  }
}
