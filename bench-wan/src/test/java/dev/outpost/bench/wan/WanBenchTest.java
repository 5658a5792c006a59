package dev.outpost.bench.wan;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI-sized run: the whole harness (origin and proxy as child JVMs, the link, every scenario) on a tiny dataset
 * and a fast link. Asserts correctness only — bytes match, the link saw the traffic — never timing.
 */
@Timeout(300) // a hang guard only: ~50 s on an idle 2-core machine, longer while other builds run
class WanBenchTest {
  @TempDir
  Path work;

  @Test
  void everyScenarioRunsAndReadsBackExactlyWhatWasWritten() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    Path json = work.resolve("report.json");
    int exit = BenchWanMain.run(out, out, "--scale", "0.002", "--bandwidth-mbit", "400", "--delay-ms", "1",
        "--second-delay-ms", "3", "--work-dir", work.toString(), "--json", json.toString(), "--upload-threads", "4",
        "--jit-warmup-rounds", "1");
    String printed = buf.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(printed).isZero();

    JsonNode report = new ObjectMapper().readTree(json.toFile());
    assertThat(report.at("/environment/branch").asText()).startsWith("proxy:");
    assertThat(report.at("/environment/nproc").asInt()).isPositive();
    for (JsonNode row : report.get("rows")) {
      assertThat(row.get("correct").isBoolean() ? row.get("correct").asBoolean() : true)
          .as("row %s: %s", row.get("id").asText(), row.get("note").asText()).isTrue();
    }
    for (String cold : List.of("1b-cold-tree", "7-cold-tree-3ms", "1b-cold-big", "7-cold-big-3ms", "4-meta-cold",
        "8-raw-link")) {
      JsonNode row = row(report, cold);
      assertThat(row.get("wanDownBytes").asLong()).as(cold).isPositive();
      assertThat(row.get("wallSeconds").asDouble()).as(cold).isPositive();
    }
    // The cold read moved at least the tree's bytes across the link; the upload moved the text up.
    assertThat(row(report, "1b-cold-tree").get("wanDownBytes").asLong()).isGreaterThan(
        row(report, "8-raw-link").get("wanUpBytes").asLong());
    assertThat(row(report, "6-upload-first").get("wanUpBytes").asLong()).isPositive();
    assertThat(row(report, "5-insert-100").get("correct").asBoolean()).isTrue();
    // Scenario 2: the warm job of the snapshot ran to DONE and the read after it was right.
    assertThat(row(report, "2-warm-job").get("correct").asBoolean()).as(row(report, "2-warm-job").get("note").asText())
        .isTrue();
    assertThat(row(report, "2-warm").get("correct").asBoolean()).isTrue();
    assertThat(row(report, "2-warm-job").get("wanDownBytes").asLong()).isPositive();
    // Scenario 5: the new version became visible at the branch (time reported, never asserted).
    assertThat(row(report, "5-visibility").get("correct").asBoolean()).isTrue();
    // Every tree read reports the proxy's upstream work per file.
    assertThat(row(report, "1b-cold-tree").get("note").asText()).contains("per file read (proxy metrics)");
    JsonNode fuse = row(report, "1a-fuse-tar");
    if (WanBench.fuseMissing() == null) {
      assertThat(fuse.get("correct").asBoolean()).as(fuse.get("note").asText()).isTrue();
    } else {
      assertThat(fuse.get("note").asText()).startsWith("n/a:");
    }
    assertThat(printed).contains("| scenario").contains("3-reread");
  }

  private static JsonNode row(JsonNode report, String id) {
    for (JsonNode r : report.get("rows")) {
      if (r.get("id").asText().equals(id)) {
        return r;
      }
    }
    throw new AssertionError("no row " + id + " in " + report);
  }
}
