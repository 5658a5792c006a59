package dev.outpost.proxy.dashboard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads a page in Debian's headless Chromium and returns the DOM after the page's timers ran for a virtual
 * {@value #VIRTUAL_TIME_MILLIS} ms (virtual time: the page's 2 s polling runs without the test waiting for it).
 */
final class HeadlessChromium {
  static final int VIRTUAL_TIME_MILLIS = 5000;
  private static final long WALL_TIMEOUT_SECONDS = 30;

  private HeadlessChromium() {}

  /** The browser binary, if installed ({@code apt-get install chromium}). */
  static Optional<Path> find() {
    return Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
        .map(Path::of).filter(Files::isExecutable).findFirst();
  }

  /** Loads {@code url}; with {@code screenshot} also writes a 1280x900 PNG there. */
  static RenderedPage load(Path binary, String url, Path workDir, Optional<Path> screenshot) {
    try {
      Path profile = Files.createTempDirectory(workDir, "chromium-profile");
      Path stderr = workDir.resolve("chromium-" + System.nanoTime() + ".log");
      List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=" + VIRTUAL_TIME_MILLIS,
          "--window-size=1280,900", "--dump-dom"));
      screenshot.ifPresent(p -> cmd.add("--screenshot=" + p));
      cmd.add(url);
      Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
      p.getOutputStream().close();
      byte[] out = readWithTimeout(p);
      if (p.exitValue() != 0) {
        throw new AssertionError("chromium exited " + p.exitValue() + ": " + tail(stderr));
      }
      return new RenderedPage(new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Chromium's stdout (the DOM), read on a helper thread so a hung browser is killed after the wall timeout. */
  private static byte[] readWithTimeout(Process p) throws IOException, InterruptedException {
    var result = new byte[1][];
    var failure = new IOException[1];
    Thread t = Thread.ofPlatform().daemon().name("chromium-stdout").start(() -> {
      try (var in = p.getInputStream()) {
        result[0] = in.readAllBytes();
      } catch (IOException e) {
        failure[0] = e;
      }
    });
    if (!p.waitFor(WALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish within " + WALL_TIMEOUT_SECONDS + " s");
    }
    t.join(TimeUnit.SECONDS.toMillis(5));
    if (failure[0] != null) {
      throw failure[0];
    }
    if (result[0] == null) {
      throw new AssertionError("chromium's output was not closed after it exited");
    }
    return result[0];
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
  }

  /** The serialized DOM, with lookups of elements by id (the dashboard's stable ids). */
  record RenderedPage(String html) {
    private static final Pattern ATTR = Pattern.compile("([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:=\"([^\"]*)\")?");

    /** The start tag with this id: its attributes and the text up to the next tag. */
    Element element(String id) {
      Matcher m = Pattern.compile("<([a-zA-Z0-9]+)\\s([^>]*\\bid=\"" + Pattern.quote(id) + "\"[^>]*)>([^<]*)").matcher(html);
      if (!m.find()) {
        throw new AssertionError("no element with id=" + id + " in:\n" + html);
      }
      Map<String, String> attrs = new HashMap<>();
      Matcher a = ATTR.matcher(m.group(2));
      while (a.find()) {
        attrs.put(a.group(1), a.group(2) == null ? "" : unescape(a.group(2)));
      }
      return new Element(m.group(1), attrs, unescape(m.group(3)).strip());
    }

    boolean has(String id) {
      return html.contains("id=\"" + id + "\"");
    }

    private static String unescape(String s) {
      return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&nbsp;", "\u00a0")
          .replace("&amp;", "&");
    }
  }

  record Element(String tag, Map<String, String> attrs, String text) {
    String attr(String name) {
      String v = attrs.get(name);
      if (v == null) {
        throw new AssertionError("<" + tag + " id=" + attrs.get("id") + "> has no attribute " + name + ": " + attrs);
      }
      return v;
    }

    double value() {
      return Double.parseDouble(attr("data-value"));
    }

    boolean hidden() {
      return attrs.containsKey("hidden");
    }
  }
}
