package dev.outpost.bench.wan;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's result: the rows plus what they were measured on (date, machine, link, dataset, command), printed
 * as a table and written as JSON.
 */
public record Report(Map<String, Object> environment, List<Row> rows) {
  public Report {
    environment = new LinkedHashMap<>(environment);
    rows = List.copyOf(rows);
  }

  /** Every row whose bytes were checked matched. */
  public boolean allCorrect() {
    return rows.stream().noneMatch(r -> Boolean.FALSE.equals(r.correct()));
  }

  public Row row(String id) {
    return rows.stream().filter(r -> r.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no row " + id));
  }

  public void writeJson(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("environment", environment);
    List<Map<String, Object>> rs = new ArrayList<>();
    for (Row r : rows) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("id", r.id());
      x.put("scenario", r.scenario());
      x.put("wallSeconds", r.ran() ? r.wallSeconds() : null);
      x.put("wanUpBytes", r.wanUpBytes());
      x.put("wanDownBytes", r.wanDownBytes());
      x.put("ratioToCeiling", Double.isNaN(r.ratioToCeiling()) ? null : r.ratioToCeiling());
      x.put("ceiling", r.ceiling());
      x.put("target", r.target());
      x.put("met", r.met());
      x.put("correct", r.correct());
      x.put("note", r.note());
      rs.add(x);
    }
    m.put("rows", rs);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), m);
  }

  public void printTable(PrintStream out) {
    for (Map.Entry<String, Object> e : environment.entrySet()) {
      out.println(e.getKey() + ": " + e.getValue());
    }
    out.println();
    String[] head = {"scenario", "wall", "WAN up", "WAN down", "ratio to ceiling", "target", "met?"};
    List<String[]> lines = new ArrayList<>();
    lines.add(head);
    for (Row r : rows) {
      lines.add(new String[] {r.id() + " " + r.scenario(),
          r.ran() ? String.format(Locale.ROOT, "%.2f s", r.wallSeconds()) : "n/a",
          r.ran() ? bytes(r.wanUpBytes()) : "", r.ran() ? bytes(r.wanDownBytes()) : "",
          Double.isNaN(r.ratioToCeiling()) ? "" : String.format(Locale.ROOT, "%.2f of %s", r.ratioToCeiling(), r.ceiling()),
          r.target(), r.met() == null ? (r.ran() ? "" : "n/a") : r.met() ? "met" : "NOT met"});
    }
    int[] w = new int[head.length];
    for (String[] l : lines) {
      for (int i = 0; i < l.length; i++) {
        w[i] = Math.max(w[i], l[i].length());
      }
    }
    for (int k = 0; k < lines.size(); k++) {
      StringBuilder sb = new StringBuilder("| ");
      for (int i = 0; i < w.length; i++) {
        sb.append(String.format("%-" + w[i] + "s", lines.get(k)[i])).append(" | ");
      }
      out.println(sb.toString().stripTrailing());
      if (k == 0) {
        StringBuilder sep = new StringBuilder("|");
        for (int x : w) {
          sep.append("-".repeat(x + 2)).append('|');
        }
        out.println(sep);
      }
    }
    out.println();
    for (Row r : rows) {
      if (!r.note().isEmpty() || Boolean.FALSE.equals(r.correct())) {
        out.println(r.id() + ": " + (Boolean.FALSE.equals(r.correct()) ? "BYTES DID NOT MATCH. " : "") + r.note());
      }
    }
  }

  static String bytes(long b) {
    if (b < 10 * 1024) {
      return b + " B";
    }
    if (b < 10L << 20) {
      return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
  }
}
