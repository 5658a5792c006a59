package dev.outpost.bench.wan;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A child JVM the harness started (origin, proxy, or one of their command-line tools), its stdout and stderr going
 * to a log file. {@link #close()} sends SIGTERM, waits, and only then kills.
 */
final class JvmProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on ([^\\s:]+):(\\d+)");

  private final String name;
  private final Process process;
  private final Path log;

  private JvmProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  static JvmProcess start(JvmSetup setup, String name, List<String> jvmOptions, String mainClass, List<String> args,
      Path log) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(setup.java().toString());
    cmd.addAll(setup.flags());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(setup.classpath());
    cmd.add(mainClass);
    cmd.addAll(args);
    Files.createDirectories(log.getParent());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new JvmProcess(name, p, log);
  }

  /**
   * Runs a command-line tool to completion and returns its output.
   *
   * @throws OutpostException INTERNAL with the output if it exits non-zero or takes longer than two minutes
   */
  static String run(JvmSetup setup, String name, String mainClass, List<String> args, Path log) throws IOException {
    try (JvmProcess p = start(setup, name, List.of("-Xmx256m"), mainClass, args, log)) {
      if (!p.process.waitFor(120, TimeUnit.SECONDS)) {
        throw new OutpostException(ErrorCode.INTERNAL, name + " did not finish in 120 s; output: " + p.output());
      }
      if (p.process.exitValue() != 0) {
        throw new OutpostException(ErrorCode.INTERNAL, name + " exited " + p.process.exitValue() + ": " + p.output());
      }
      return p.output();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutpostException(ErrorCode.INTERNAL, name + " interrupted", e);
    }
  }

  /**
   * Waits until the program prints "listening on HOST:PORT" and returns that address.
   *
   * @throws OutpostException UNAVAILABLE with the log's tail if it exits first or the timeout passes
   */
  InetSocketAddress awaitListening(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(output());
      if (m.find()) {
        return new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
      }
      if (!process.isAlive()) {
        throw new OutpostException(ErrorCode.UNAVAILABLE, name + " exited " + process.exitValue()
            + " before listening: " + tail());
      }
      Thread.sleep(50);
    }
    throw new OutpostException(ErrorCode.UNAVAILABLE, name + " not listening after " + timeout + ": " + tail());
  }

  String output() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  private String tail() throws IOException {
    String out = output();
    return out.length() > 2000 ? "..." + out.substring(out.length() - 2000) : out;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
