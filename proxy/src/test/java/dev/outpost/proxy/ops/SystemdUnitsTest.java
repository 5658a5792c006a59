package dev.outpost.proxy.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The units in systemd/ pass {@code systemd-analyze verify} (no warning either) in a throw-away root that has the
 * host's stock units and stub executables at the documented install paths, keep their hardening, and give write
 * access exactly where the example configs put the volume and the cache.
 */
class SystemdUnitsTest {
  static final List<String> UNITS = List.of("outpost-origin.service", "outpost-proxy.service",
      "outpost-warm.service", "outpost-warm.timer");
  private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");
  private static final Path STOCK_UNITS = Path.of("/usr/lib/systemd/system");

  @TempDir Path root;

  static Path repo() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !(Files.isDirectory(p.resolve("systemd")) && Files.isDirectory(p.resolve("conf")))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new AssertionError("no systemd/ and conf/ above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  @BeforeAll
  static void unitsExist() {
    for (String u : UNITS) {
      assertThat(repo().resolve("systemd").resolve(u)).isRegularFile();
    }
  }

  @Test
  void unitsVerifyCleanlyWithTheirBinariesInstalled() throws Exception {
    assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze is not installed: cannot verify the units");
    assumeTrue(Files.isDirectory(STOCK_UNITS), "no stock units in " + STOCK_UNITS + " (sysinit.target etc.)");
    Path unitDir = prepareRoot();
    for (String u : UNITS) {
      Files.copy(repo().resolve("systemd").resolve(u), unitDir.resolve(u));
    }

    Result r = verify(UNITS);

    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).as("systemd-analyze warnings").isBlank();
  }

  @Test
  void verificationCatchesABrokenUnit() throws Exception {
    assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze is not installed: cannot verify the units");
    assumeTrue(Files.isDirectory(STOCK_UNITS), "no stock units in " + STOCK_UNITS + " (sysinit.target etc.)");
    Path unitDir = prepareRoot();
    String proxy = Files.readString(repo().resolve("systemd/outpost-proxy.service"));
    Files.writeString(unitDir.resolve("outpost-proxy.service"),
        proxy.replace("ProtectSystem=strict", "ProtectSytem=strict"));

    Result r = verify(List.of("outpost-proxy.service"));

    assertThat(r.output).contains("Unknown key 'ProtectSytem'");
  }

  @Test
  void servicesRunHardenedAsTheOutpostUser() throws IOException {
    for (String u : List.of("outpost-origin.service", "outpost-proxy.service")) {
      Map<String, List<String>> s = unit(u).get("Service");
      assertThat(s).as(u).containsEntry("User", List.of("outpost")).containsEntry("Group", List.of("outpost"))
          .containsEntry("Restart", List.of("on-failure")).containsEntry("NoNewPrivileges", List.of("true"))
          .containsEntry("ProtectSystem", List.of("strict")).containsEntry("ProtectHome", List.of("true"))
          .containsEntry("PrivateTmp", List.of("true")).containsEntry("PrivateDevices", List.of("true"))
          .containsEntry("ProtectKernelTunables", List.of("true")).containsEntry("ProtectKernelModules", List.of("true"))
          .containsEntry("RestrictAddressFamilies", List.of("AF_INET AF_INET6 AF_UNIX"))
          .containsEntry("CapabilityBoundingSet", List.of(""))
          .containsKeys("LimitNOFILE", "ReadWritePaths");
      assertThat(s.get("ExecStart").getFirst()).as(u).startsWith("/opt/outpost/bin/").contains(" serve --config /etc/outpost/");
    }
  }

  @Test
  void writablePathsAreWhereTheExampleConfigsKeepData() throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    JsonNode origin = yaml.readTree(repo().resolve("conf/origin.yaml").toFile());
    JsonNode proxy = yaml.readTree(repo().resolve("conf/proxy.yaml").toFile());

    assertThat(unit("outpost-origin.service").get("Service").get("ReadWritePaths").getFirst().split(" "))
        .contains(origin.get("dataDir").asText());
    assertThat(unit("outpost-proxy.service").get("Service").get("ReadWritePaths").getFirst().split(" "))
        .contains(proxy.at("/cache/dir").asText());
  }

  @Test
  void warmRunsNightlyAsAOneshotThatWaitsForTheJob() throws IOException {
    Map<String, List<String>> svc = unit("outpost-warm.service").get("Service");
    assertThat(svc).containsEntry("Type", List.of("oneshot")).containsEntry("User", List.of("outpost"));
    assertThat(svc.get("ExecStart").getFirst())
        .isEqualTo("/opt/outpost/bin/proxyctl warm --snapshot latest --wait --config /etc/outpost/proxy.yaml");
    assertThat(unit("outpost-warm.service").get("Unit").get("After")).contains("outpost-proxy.service");

    Map<String, List<String>> timer = unit("outpost-warm.timer").get("Timer");
    assertThat(timer).containsEntry("Persistent", List.of("true")).containsEntry("Unit", List.of("outpost-warm.service"))
        .containsKeys("OnCalendar", "RandomizedDelaySec");
    assertThat(unit("outpost-warm.timer").get("Install").get("WantedBy")).contains("timers.target");
  }

  /** A root with the host's stock units and a stub for every ExecStart binary; returns its unit directory. */
  private Path prepareRoot() throws Exception {
    Path lib = Files.createDirectories(root.resolve("usr/lib/systemd"));
    // cp -a keeps the stock tree's symlinks (aliases, /dev/null masks) as they are.
    Process cp = new ProcessBuilder("cp", "-a", STOCK_UNITS.toString(), lib.toString()).inheritIO().start();
    assertThat(cp.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(cp.exitValue()).isZero();
    for (String u : UNITS) {
      for (String exec : unit(u).getOrDefault("Service", Map.of()).getOrDefault("ExecStart", List.of())) {
        Path bin = root.resolve(exec.split(" ")[0].substring(1));
        Files.createDirectories(bin.getParent());
        Files.writeString(bin, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
    return Files.createDirectories(root.resolve("etc/systemd/system"));
  }

  private record Result(int exit, String output) {}

  private Result verify(List<String> units) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ANALYZE.toString(), "verify", "--man=no", "--root=" + root));
    cmd.addAll(units);
    Path out = root.resolve("verify.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("systemd-analyze verify did not finish in 30 s");
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  /** The unit's sections as key → values in file order (a key may repeat, e.g. Environment). */
  static Map<String, Map<String, List<String>>> unit(String name) throws IOException {
    Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
    Map<String, List<String>> current = null;
    try (Stream<String> lines = Files.lines(repo().resolve("systemd").resolve(name))) {
      for (String raw : (Iterable<String>) lines::iterator) {
        String line = raw.strip();
        if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
          continue;
        }
        if (line.startsWith("[") && line.endsWith("]")) {
          current = sections.computeIfAbsent(line.substring(1, line.length() - 1), k -> new LinkedHashMap<>());
          continue;
        }
        int eq = line.indexOf('=');
        assertThat(current).as(name + ": key outside a section: " + line).isNotNull();
        assertThat(eq).as(name + ": not key=value: " + line).isPositive();
        current.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>()).add(line.substring(eq + 1).strip());
      }
    }
    return sections;
  }
}
