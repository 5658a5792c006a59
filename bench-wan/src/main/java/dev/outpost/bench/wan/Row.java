package dev.outpost.bench.wan;

/**
 * One line of the benchmark's table.
 *
 * @param id short stable key ("1b-cold-tree"), for scripts reading the JSON
 * @param scenario what ran, for people
 * @param wallSeconds wall time; NaN when the scenario did not run
 * @param wanUpBytes bytes branch → headquarters across the link during the scenario
 * @param wanDownBytes bytes headquarters → branch
 * @param ratioToCeiling the scenario's throughput as a fraction of its ceiling (see {@code ceiling}); NaN if none
 * @param ceiling what the ratio compares against ("raw copy through the link"); empty if none
 * @param target the target, with the measured value it was checked against; empty if none
 * @param met whether the target was met; null when there is no target or the scenario did not run
 * @param correct whether the bytes read or written were checked and matched (null: nothing to check)
 * @param note anything else worth knowing (n/a reasons, visibility latency, counts)
 */
public record Row(String id, String scenario, double wallSeconds, long wanUpBytes, long wanDownBytes,
    double ratioToCeiling, String ceiling, String target, Boolean met, Boolean correct, String note) {

  static Row notRun(String id, String scenario, String reason) {
    return new Row(id, scenario, Double.NaN, 0, 0, Double.NaN, "", "", null, null, reason);
  }

  boolean ran() {
    return !Double.isNaN(wallSeconds);
  }
}
