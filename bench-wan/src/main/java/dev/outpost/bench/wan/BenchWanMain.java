package dev.outpost.bench.wan;

import dev.outpost.core.OutpostException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/bench-wan}: runs the end-to-end WAN benchmark and prints its table; exit 0 when every byte matched
 * (targets are reported, never fail the run), 1 on a failure or a byte mismatch, 2 on bad usage.
 */
@Command(name = "bench-wan", mixinStandardHelpOptions = true,
    description = "End-to-end benchmark: origin and proxy as separate JVMs, an emulated WAN link between them.",
    footer = {"", "Examples:", "  bin/bench-wan                          # full size: ~186 MiB tree, 50 Mbit/s, 20 ms and 100 ms",
        "  bin/bench-wan --scale 0.05             # quick run", "  bin/bench-wan --delay-ms 40 --bandwidth-mbit 100 --json out.json"})
public final class BenchWanMain implements Callable<Integer> {
  @Option(names = "--delay-ms", defaultValue = "20", description = "one-way delay of the link (default ${DEFAULT-VALUE})")
  long delayMillis;

  @Option(names = "--second-delay-ms", defaultValue = "100",
      description = "one-way delay scenario 7 repeats the cold read at (default ${DEFAULT-VALUE})")
  long secondDelayMillis;

  @Option(names = "--bandwidth-mbit", defaultValue = "50", description = "bandwidth each way, Mbit/s (default ${DEFAULT-VALUE})")
  double bandwidthMbit;

  @Option(names = "--scale", defaultValue = "1", description = "dataset scale; 1 = 128 MiB + 200×256 KiB + 2000×4 KiB + 50 MiB text")
  double scale;

  @Option(names = "--seed", defaultValue = "7", description = "dataset seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--work-dir", description = "where data, caches and logs go (default: a new directory under /tmp)")
  Path workDir;

  @Option(names = "--json", description = "where the JSON report goes (default WORK_DIR/bench-wan.json)")
  Path json;

  @Option(names = "--no-fuse", description = "skip scenario 1a (tar over a FUSE mount)")
  boolean noFuse;

  @Option(names = "--direct", description = "no proxy: branch clients cross the link to the origin themselves")
  boolean direct;

  @Option(names = "--upload-threads", defaultValue = "8", description = "files uploaded at once in scenario 6")
  int uploadThreads;

  @Option(names = "--jit-warmup-rounds", defaultValue = "20", description = "reads of the warm-up set by each "
      + "freshly started proxy JVM before a measurement, so it runs compiled code as a long-running proxy does "
      + "(default ${DEFAULT-VALUE}; 0 = none)")
  int jitWarmupRounds;

  private final PrintStream out;
  private final String commandLine;

  BenchWanMain(PrintStream out, String commandLine) {
    this.out = out;
    this.commandLine = commandLine;
  }

  @Override
  public Integer call() throws Exception {
    Path work = workDir != null ? workDir : java.nio.file.Files.createTempDirectory("outpost-bench-wan-");
    BenchOptions options = new BenchOptions(LinkSpec.ofMbit(bandwidthMbit, delayMillis), secondDelayMillis, scale,
        seed, work.toAbsolutePath(), !noFuse, direct, uploadThreads, jitWarmupRounds);
    Report report = new WanBench(options, JvmSetup.detect(), out).describe("command", commandLine).run();
    out.println();
    report.printTable(out);
    Path file = json != null ? json : work.resolve("bench-wan.json");
    report.writeJson(file);
    out.println("JSON: " + file.toAbsolutePath());
    if (!report.allCorrect()) {
      out.println("bench-wan: some bytes did not match (see the rows marked above)");
      return 1;
    }
    return 0;
  }

  /** Runs the command with {@code args}; returns the exit code (0 ok, 1 failure, 2 usage). */
  public static int run(PrintStream out, PrintStream err, String... args) {
    CommandLine cl = new CommandLine(new BenchWanMain(out, "bin/bench-wan " + String.join(" ", args)));
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      err.println("bench-wan: " + (e instanceof OutpostException oe ? oe.getMessage() : e.toString()));
      if (!(e instanceof OutpostException)) {
        e.printStackTrace(err);
      }
      return 1;
    });
    return cl.execute(args);
  }

  public static void main(String[] args) {
    System.exit(run(System.out, System.err, args));
  }
}
