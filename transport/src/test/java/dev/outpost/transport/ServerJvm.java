package dev.outpost.transport;

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
 * A server program (outpost-origin, outpost-proxy, outpost mount) in a JVM of its own, started from this test JVM's java and
 * classpath with the flags of the checkout's {@code jvm.properties}: for tests where memory, signals or crashes
 * matter. Its stdout and stderr go to a log file. {@link #close} kills it if it is still running.
 */
public final class ServerJvm implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on ([^\\s:]+):(\\d+)");

  private final Process process;
  private final Path log;

  private ServerJvm(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code mainClass args} with {@code jvmOptions} (e.g. -Xmx) after the common flags. */
  public static ServerJvm start(String mainClass, List<String> jvmOptions, List<String> args, Path log)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElseThrow());
    cmd.addAll(List.of(jvmFlags().split("\\s+")));
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    Files.createDirectories(log.toAbsolutePath().getParent());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new ServerJvm(p, log);
  }

  /** The flags every Outpost JVM needs, from jvm.properties at the root of the checkout. */
  public static String jvmFlags() throws IOException {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("jvm.properties"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IOException("no jvm.properties above " + Path.of("").toAbsolutePath());
    }
    for (String l : Files.readAllLines(dir.resolve("jvm.properties"))) {
      if (l.startsWith("outpost.jvm.flags=")) {
        return l.substring("outpost.jvm.flags=".length()).strip();
      }
    }
    throw new IOException("no outpost.jvm.flags in " + dir.resolve("jvm.properties"));
  }

  /**
   * Waits until the program prints "listening on HOST:PORT" and returns that address.
   *
   * @throws IOException with the log's tail if it exits first or {@code timeout} passes
   */
  public InetSocketAddress awaitListening(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(output());
      if (m.find()) {
        return new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
      }
      if (!process.isAlive()) {
        throw new IOException("exited " + process.exitValue() + " before listening: " + tail());
      }
      Thread.sleep(50);
    }
    throw new IOException("not listening after " + timeout + ": " + tail());
  }

  /** Resident set size now (VmRSS of /proc/PID/status). */
  public long rssBytes() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
      if (l.startsWith("VmRSS:")) {
        String[] f = l.substring(6).strip().split("\\s+");
        return Long.parseLong(f[0]) * 1024; // always kB
      }
    }
    throw new IOException("no VmRSS for pid " + process.pid());
  }

  /**
   * Sends SIGTERM and waits for the JVM to exit.
   *
   * @return the exit status (143 for a JVM that ran its shutdown hooks on SIGTERM)
   * @throws IOException with the log's tail if it has not exited within {@code timeout}
   */
  public int terminate(Duration timeout) throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IOException("still running " + timeout + " after SIGTERM: " + tail());
    }
    return process.exitValue();
  }

  /** Sends SIGTERM and returns at once (the shutdown hooks run); {@link #awaitExit} waits for the end. */
  public void sigterm() {
    process.destroy();
  }

  /**
   * The exit status of a JVM that has ended.
   *
   * @throws IllegalStateException while it runs
   */
  public int exitValue() {
    if (process.isAlive()) {
      throw new IllegalStateException("pid " + process.pid() + " is still running");
    }
    return process.exitValue();
  }

  /** Sends SIGKILL: a crash, no shutdown hook runs. */
  public void kill() {
    process.destroyForcibly();
  }

  /** Waits up to {@code timeout} for the JVM to exit; true if it has. */
  public boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  /** Everything the program printed so far. */
  public String output() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  public String tail() throws IOException {
    String out = output();
    return out.length() > 4000 ? "..." + out.substring(out.length() - 4000) : out;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
