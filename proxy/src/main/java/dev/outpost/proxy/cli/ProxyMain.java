package dev.outpost.proxy.cli;

import java.io.PrintStream;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import dev.outpost.program.ProgramRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code outpost-proxy} program. Exit codes: 0 ok, 1 failure, 2 usage. Errors are one line on stderr; the log
 * holds the cause.
 */
@Command(name = "outpost-proxy", mixinStandardHelpOptions = true, version = "outpost-proxy 0.1",
    description = "The Outpost branch proxy: an LMDB block cache and attribute cache in front of the origin.",
    subcommands = {ServeCommand.class},
    footer = {"", "Example:", "  outpost-proxy serve --config conf/proxy.yaml"})
public final class ProxyMain implements Runnable {
  static final String PROGRAM = "outpost-proxy";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  public static void main(String[] args) {
    CompletableFuture<Void> stop = new CompletableFuture<>();
    java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
    // On SIGTERM the JVM halts once hooks return: wait for serve to close the cache (queued writes, fsync).
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.complete(null);
      try {
        finished.await(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "outpost-proxy-shutdown"));
    int code = run(new Io(System.out, System.err, Clock.systemUTC(), stop), args);
    finished.countDown();
    System.exit(code);
  }

  /** Runs the program with the given streams; {@code serve} returns once {@code stop} completes. */
  public static int run(PrintStream out, PrintStream err, CompletableFuture<Void> stop, String... args) {
    return run(new Io(out, err, Clock.systemUTC(), stop), args);
  }

  static int run(Io io, String... args) {
    return ProgramRunner.run(PROGRAM, new ProxyMain(), io, io.out(), io.err(), args);
  }
}
