package dev.outpost.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyMainTest {
  @TempDir
  Path dir;

  record Result(int code, String out, String err) {}

  static Result run(CompletableFuture<Void> stop, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ProxyMain.run(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), stop, args);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void helpAndUsageErrors() {
    Result help = run(new CompletableFuture<>(), "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("serve", "Example");
    assertThat(run(new CompletableFuture<>()).code()).isEqualTo(2);
    Result noConfig = run(new CompletableFuture<>(), "serve");
    assertThat(noConfig.code()).isEqualTo(2);
    assertThat(noConfig.err()).contains("--config");
  }

  @Test
  void aBadConfigFailsWithOneLineNamingTheKey() throws Exception {
    Path cfg = dir.resolve("proxy.yaml");
    Files.writeString(cfg, "volume: v\norigin: {host: hq, port: 0}\ntokenFile: t\noriginPublicKeyFile: k\ncache: {dir: c}\n");
    Result r = run(new CompletableFuture<>(), "serve", "--config", cfg.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("outpost-proxy: config: origin.port").hasLineCount(1);
  }

  @Test
  void aMissingTokenFileFailsCleanly() throws Exception {
    Path cfg = dir.resolve("proxy.yaml");
    Files.writeString(cfg, "volume: v\norigin: {host: 127.0.0.1, port: 9}\ntokenFile: nope.token\n"
        + "originPublicKeyFile: k.pub\ncache: {dir: c}\n");
    Result r = run(new CompletableFuture<>(), "serve", "--config", cfg.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("tokenFile").hasLineCount(1);
  }
}
