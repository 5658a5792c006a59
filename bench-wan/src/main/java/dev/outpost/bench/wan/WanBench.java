package dev.outpost.bench.wan;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.client.WriteReport;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.fuse.MountOptions;
import dev.outpost.fuse.OutpostMount;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the issue-7 scenarios against a {@link Deployment} and collects a {@link Report}. Every read is checked
 * byte for byte (SHA-256 against the generated dataset); targets are reported, never enforced.
 *
 * <p>Order matters and is fixed: ceilings; metadata walk cold then warm (4); proxy restarted cold; cold read
 * through the library (1b, also timing the 128 MiB file's stretch of the walk); re-read (3); 100-byte insert at
 * headquarters and re-read at the branch right away (5); proxy restarted cold and the 128 MiB file read alone
 * (1b); warm after proxyctl warm of the seed snapshot (2); proxy restarted cold; tar over the FUSE mount (1a);
 * uploads (6); the link at the second delay, a cold read again and the big file alone again (7); proxy heap.
 */
public final class WanBench {
  static final String TREE_ROOT = "/tree";
  static final String SNAPSHOT = "bench-seed";
  private static final int READ_BUFFER = 1 << 20;
  static final String WARMUP_ROOT = "/jit-warmup";

  private final BenchOptions o;
  /** One buffer for every sequential read (the scenarios read one file at a time, on this thread). */
  private final byte[] readBuffer = new byte[READ_BUFFER];
  /** Path to SHA-256 of the JIT warm-up set. */
  private final Map<String, String> warmupExpected = new HashMap<>();
  private final JvmSetup setup;
  private final PrintStream progress;
  private final Map<String, Object> environment = new LinkedHashMap<>();
  private final List<Row> rows = new ArrayList<>();

  public WanBench(BenchOptions options, JvmSetup setup, PrintStream progress) {
    this.o = options;
    this.setup = setup;
    this.progress = progress;
  }

  /** Adds a line to the report's environment (e.g. the command that ran the benchmark). */
  public WanBench describe(String key, Object value) {
    environment.put(key, value);
    return this;
  }

  /**
   * Generates the dataset, starts the deployment, runs every scenario and stops everything again.
   *
   * @throws OutpostException if the system under test fails (a wrong byte is not an exception: the row says so)
   */
  public Report run() throws IOException, InterruptedException {
    Files.createDirectories(o.workDir());
    environment.put("date", Instant.now().toString());
    environment.put("nproc", Runtime.getRuntime().availableProcessors());
    environment.put("memory", memTotal());
    environment.put("java", Runtime.version().toString());
    environment.put("link", o.link() + " (second delay " + o.secondDelayMillis() + " ms)");
    step("generating dataset (scale " + o.scale() + ", seed " + o.seed() + ")");
    Dataset ds = Dataset.generate(o.workDir().resolve("dataset"), o.seed(), o.scale());
    environment.put("dataset", String.format(Locale.ROOT,
        "scale %s seed %d: tree %s in %d files (big %s), text %s in %d files", o.scale(), o.seed(),
        Report.bytes(ds.treeBytes()), ds.tree().size(), Report.bytes(ds.bigFile().sizeBytes()),
        Report.bytes(ds.textBytes()), ds.text().size()));
    step("starting origin" + (o.direct() ? "" : " and proxy") + " (separate JVMs) with the link " + o.link());
    try (Deployment d = Deployment.start(setup, o.workDir().resolve("run"), o.link(), o.direct())) {
      environment.put("branch", d.branchLabel());
      scenarios(d, ds);
    }
    return new Report(environment, rows);
  }

  private void scenarios(Deployment d, Dataset ds) throws IOException, InterruptedException {
    Map<String, String> expected = new HashMap<>();
    for (Dataset.Entry e : ds.tree()) {
      expected.put("/" + e.path(), e.sha256());
    }
    step("seeding the origin from headquarters (loopback, no link)");
    try (OutpostClient hq = d.headquartersClient()) {
      upload(hq, ds, ds.tree(), "", 4);
      seedJitWarmup(hq);
    }
    warmUpProxyJit(d);
    if (!d.direct()) {
      step("2 (setup): snapshot " + SNAPSHOT + " of the seeded volume at the origin");
      d.snapshotAtOrigin(SNAPSHOT);
    }

    step("8: ceilings");
    Copy rawLink = rawCopy(ds.treeBytes(), o.link());
    rows.add(new Row("8-raw-link", "raw socket copy of the tree's bytes through the link", rawLink.seconds,
        rawLink.wan.up(), rawLink.wan.down(), rawLink.throughput() / o.link().bytesPerSecond(), "nominal link rate",
        "", null, null, ""));
    Copy rawLoop = rawCopy(ds.treeBytes(), null);
    rows.add(new Row("8-raw-loopback", "raw socket copy of the tree's bytes over loopback (no link)",
        rawLoop.seconds, 0, 0, Double.NaN, "", "", null, null, ""));

    step("4: metadata walk, cold and warm");
    try (OutpostClient c = d.branchClient()) {
      Measured<Long> cold = measure(d, () -> walk(c, TREE_ROOT));
      rows.add(new Row("4-meta-cold", "ls -lR equivalent (recursive readdir-plus), cold", cold.seconds,
          cold.wan.up(), cold.wan.down(), Double.NaN, "", "", null, null, cold.value + " entries"));
      Measured<Long> warm = measure(d, () -> walk(c, TREE_ROOT));
      rows.add(new Row("4-meta-warm", "ls -lR equivalent, warm", warm.seconds, warm.wan.up(), warm.wan.down(),
          Double.NaN, "", "", null, warm.value.equals(cold.value),
          String.format(Locale.ROOT, "%d entries, %.1f× faster than cold", warm.value, cold.seconds / warm.seconds)));
    }

    restartProxyCold(d);
    step("1b: cold read of the tree through the library");
    TreeRead cold;
    try (OutpostClient c = d.branchClient()) {
      cold = readTree(c, d, expected, ds.bigFile());
      addColdRows("1b", "", cold, ds, rawLink, o.link());

      step("3: re-read of the tree (cache hot)");
      TreeRead hot = readTree(c, d, expected, ds.bigFile());
      long perFile = hot.wan.total() / Math.max(1, hot.files);
      double faster = cold.seconds / hot.seconds;
      rows.add(new Row("3-reread", "re-read of the whole tree (cache hot), library", hot.seconds, hot.wan.up(),
          hot.wan.down(), rawLoop.seconds / hot.seconds, "raw loopback copy",
          String.format(Locale.ROOT, "WAN ≤ 1 KiB/file (%d B) and ≥ 20× faster than cold (%.1f×)", perFile, faster),
          perFile <= 1024 && faster >= 20, hot.correct(), hot.note()));

      step("5: insert 100 bytes in the middle of the big file at headquarters, re-read at the branch");
      rows.add(insertAndReread(d, c, ds, expected));
    }

    step("1b: cold read of the big file alone (proxy restarted cold)");
    rows.add(coldBigAlone(d, ds, expected, "1b", "", rawLink, o.link()));

    rows.add(warmAfterProxyctl(d, expected, ds, cold));

    if (o.fuse()) {
      restartProxyCold(d);
      step("1a: cold read of the tree with tar over a FUSE mount");
      rows.add(fuseTar(d, ds));
    } else {
      rows.add(Row.notRun("1a-fuse-tar", "cold read: tar cf - . over the FUSE mount", "n/a: --no-fuse"));
    }

    step("6: upload of the compressible set from the branch, then again under a new name");
    try (OutpostClient c = d.branchClient()) {
      Measured<Uploaded> first = measure(d, () -> upload(c, ds, ds.text(), "/upload-1", o.uploadThreads()));
      rows.add(new Row("6-upload-first", "upload of the compressible set from the branch", first.seconds,
          first.wan.up(), first.wan.down(), Double.NaN, "", "", null, first.value.correct,
          String.format(Locale.ROOT, "%s of text, %s of ciphertext uploaded (%d files)",
              Report.bytes(first.value.bytesRead), Report.bytes(first.value.bytesUploaded), first.value.files)));
      Measured<Uploaded> second = measure(d, () -> upload(c, ds, ds.text(), "/upload-2", o.uploadThreads()));
      double frac = second.wan.total() / (double) ds.textBytes();
      rows.add(new Row("6-upload-dedup", "same set again under a new name (dedup)", second.seconds,
          second.wan.up(), second.wan.down(), Double.NaN, "",
          String.format(Locale.ROOT, "WAN ≤ 2%% of its bytes (%.2f%%)", frac * 100), frac <= 0.02,
          second.value.correct, "data bytes uploaded: " + second.value.bytesUploaded));
    }

    step("7: link efficiency at " + o.secondDelayMillis() + " ms one way (proxy restarted cold)");
    LinkSpec second = o.link().withDelayMillis(o.secondDelayMillis());
    Copy rawLink2 = rawCopy(ds.treeBytes(), second);
    rows.add(new Row("8-raw-link-" + o.secondDelayMillis() + "ms", "raw socket copy through the link at "
        + o.secondDelayMillis() + " ms", rawLink2.seconds, rawLink2.wan.up(), rawLink2.wan.down(),
        rawLink2.throughput() / second.bytesPerSecond(), "nominal link rate", "", null, null, ""));
    d.relink(second);
    warmUpProxyJit(d);
    try (OutpostClient c = d.branchClient()) {
      TreeRead cold2 = readTree(c, d, expected, ds.bigFile());
      addColdRows("7", " at " + o.secondDelayMillis() + " ms", cold2, ds, rawLink2, second);
    }
    step("7: cold read of the big file alone at " + o.secondDelayMillis() + " ms (proxy restarted cold)");
    rows.add(coldBigAlone(d, ds, expected, "7", " at " + o.secondDelayMillis() + " ms", rawLink2, second));

    if (d.direct()) {
      rows.add(Row.notRun("heap", "proxy heap", "n/a: direct mode, no proxy"));
    } else {
      long peak = d.proxyPeakHeapMiB();
      long cache = d.largestProxyCacheDiskBytes();
      boolean died = d.proxyDiedUnexpectedly();
      rows.add(new Row("heap", "proxy heap during the run (" + Deployment.PROXY_HEAP + ")", 0, 0, 0, Double.NaN, "",
          String.format(Locale.ROOT, "peak heap < 512 MiB (%d MiB before a GC); largest cache on disk %s", peak,
              Report.bytes(cache)), peak < 512 && !died, null,
          (died ? "a proxy JVM ended by itself (out of memory?). " : "")
              + "peak = largest heap occupancy the GC logs of all proxy JVMs show before a collection; cache = "
              + "the largest cache a proxy of this run held on disk (du, sampled when it stopped)"
              + (cache <= 512L << 20 ? "; this dataset leaves the cache smaller than the heap limit (use --scale 3 for a larger one)" : "")));
    }
  }

  private void addColdRows(String id, String suffix, TreeRead r, Dataset ds, Copy raw, LinkSpec link) {
    double tput = ds.treeBytes() / r.seconds;
    double frac = tput / link.bytesPerSecond();
    rows.add(new Row(id + "-cold-tree" + slug(suffix),
        "cold read of the tree (empty cache), library" + suffix, r.seconds, r.wan.up(), r.wan.down(),
        tput / raw.throughput(), "raw copy through the link",
        String.format(Locale.ROOT, "≥ 80%% of link rate (%.0f%%)", frac * 100), frac >= 0.80, r.correct(), r.note()));
    double bigTput = ds.bigFile().sizeBytes() / r.bigSeconds;
    double bigFrac = bigTput / link.bytesPerSecond();
    rows.add(new Row(id + "-cold-big-in-walk" + slug(suffix),
        "the big file's own stretch of that walk" + suffix, r.bigSeconds, r.bigWan.up(), r.bigWan.down(),
        bigTput / raw.throughput(), "raw copy through the link", "", null, r.correct(),
        String.format(Locale.ROOT, "%.0f%% of link rate for the file itself; the link carried %s down meanwhile "
            + "(%.0f%% of its rate): the proxy was also prefetching the files after it", bigFrac * 100,
            Report.bytes(r.bigWan.down()), r.bigWan.down() / r.bigSeconds / link.bytesPerSecond() * 100)));
  }

  private static String slug(String suffix) {
    return suffix.replace(" at ", "-").replace(" ", "");
  }

  /** The 128 MiB file read by itself through a proxy restarted with an empty cache. */
  private Row coldBigAlone(Deployment d, Dataset ds, Map<String, String> expected, String id, String suffix,
      Copy raw, LinkSpec link) throws IOException, InterruptedException {
    restartProxyCold(d);
    String path = "/" + ds.bigFile().path();
    try (OutpostClient c = d.branchClient()) {
      Map<String, Long> counts0 = d.direct() ? Map.of() : d.proxyCounts();
      WanBytes w0 = d.wanBytes();
      long t0 = System.nanoTime();
      String got = sha(c, path);
      double seconds = (System.nanoTime() - t0) / 1e9;
      WanBytes wan = d.wanBytes().minus(w0);
      long size = c.stat(path).size();
      double tput = size / seconds;
      double frac = tput / link.bytesPerSecond();
      String upstream = d.direct() ? "" : upstreamPerFile(counts0, d.proxyCounts(), 1);
      progress.printf(Locale.ROOT, "    %s in %.2f s, WAN up %s down %s%s%n", Report.bytes(size), seconds,
          Report.bytes(wan.up()), Report.bytes(wan.down()), upstream);
      return new Row(id + "-cold-big" + slug(suffix), "cold read of the big file alone (empty cache)" + suffix,
          seconds, wan.up(), wan.down(), tput / raw.throughput(), "raw copy through the link",
          String.format(Locale.ROOT, "≥ 90%% of link rate (%.0f%%)", frac * 100), frac >= 0.90,
          got.equals(expected.get(path)), Report.bytes(size) + upstream);
    }
  }

  /**
   * Scenario 2: the proxy restarted cold, warmed from the snapshot taken after seeding (admin API, as
   * {@code proxyctl warm --snapshot latest --wait}), then the tree read. The big file changed after the snapshot
   * (scenario 5), so its few new blocks cross the link during the read.
   */
  private Row warmAfterProxyctl(Deployment d, Map<String, String> expected, Dataset ds, TreeRead cold)
      throws IOException, InterruptedException {
    String what = "tree read after proxyctl warm of the snapshot taken after seeding (proxy restarted cold)";
    if (d.direct()) {
      return Row.notRun("2-warm", what, "n/a: direct mode, no proxy");
    }
    restartProxyCold(d);
    step("2: warm the cold proxy from snapshot latest (" + SNAPSHOT + "), then read the tree");
    WanBytes w0 = d.wanBytes();
    long t0 = System.nanoTime();
    var job = d.warm("latest", java.time.Duration.ofMinutes(30));
    double warmSeconds = (System.nanoTime() - t0) / 1e9;
    WanBytes warmWan = d.wanBytes().minus(w0);
    rows.add(new Row("2-warm-job", "proxyctl warm --snapshot latest (admin API), proxy cold", warmSeconds,
        warmWan.up(), warmWan.down(), ds.treeBytes() / warmSeconds / o.link().bytesPerSecond(), "nominal link rate",
        "", null, job.path("state").asText().equals("DONE"), String.format(Locale.ROOT,
            "job %s: %d blocks fetched (%s), %d present, %d failed", job.path("state").asText(),
            job.path("blocksFetched").asLong(), Report.bytes(job.path("bytesFetched").asLong()),
            job.path("blocksPresent").asLong(), job.path("blocksFailed").asLong())));
    try (OutpostClient c = d.branchClient()) {
      TreeRead warm = readTree(c, d, expected, ds.bigFile());
      long perFile = warm.wan.total() / Math.max(1, warm.files);
      double faster = cold.seconds / warm.seconds;
      return new Row("2-warm", what, warm.seconds, warm.wan.up(), warm.wan.down(), Double.NaN, "",
          String.format(Locale.ROOT, "WAN ≤ 1 KiB/file (%d B) and ≥ 20× faster than cold (%.1f×)", perFile, faster),
          perFile <= 1024 && faster >= 20, warm.correct(), warm.note()
              + "; the big file changed after the snapshot (scenario 5): its new blocks are fetched in the read");
    }
  }

  private Row insertAndReread(Deployment d, OutpostClient branch, Dataset ds, Map<String, String> expected)
      throws IOException, InterruptedException {
    Dataset.Entry big = ds.bigFile();
    String path = "/" + big.path();
    byte[] old = Files.readAllBytes(ds.local(big));
    int mid = old.length / 2;
    byte[] inserted = new byte[old.length + 100];
    System.arraycopy(old, 0, inserted, 0, mid);
    byte[] hundred = new byte[100];
    new SplittableRandom(o.seed() ^ 0x5EED).nextBytes(hundred);
    System.arraycopy(hundred, 0, inserted, mid, 100);
    System.arraycopy(old, mid, inserted, mid + 100, old.length - mid);
    String newSha = HexFormat.of().formatHex(Dataset.sha256().digest(inserted));
    String oldSha = expected.get(path);
    expected.put(path, newSha);
    try (OutpostClient hq = d.headquartersClient()) {
      hq.write(path, inserted, WriteOptions.DEFAULTS);
    }
    long committedAt = System.nanoTime();
    // Time to visibility: the branch polls the file's attributes (answered from the proxy's attribute cache until
    // the change event crosses the link and drops them) until the new size shows; no expiry wait anywhere.
    long expectedSize = inserted.length;
    int polls = 0;
    long visibleAt;
    while (true) {
      polls++;
      if (branch.stat(path).size() == expectedSize) {
        visibleAt = System.nanoTime();
        break;
      }
      if (System.nanoTime() - committedAt > TimeUnit.SECONDS.toNanos(30)) {
        visibleAt = -1;
        break;
      }
      Thread.sleep(1);
    }
    double visibleMillis = visibleAt < 0 ? Double.NaN : (visibleAt - committedAt) / 1e6;
    rows.add(new Row("5-visibility", "time from the commit's acknowledgement at headquarters until the branch sees "
        + "the new version (stat polled every ~1 ms)", visibleMillis / 1e3, 0, 0, Double.NaN, "",
        String.format(Locale.ROOT, "≈ one-way delay (%d ms) + one round trip to re-ask the attributes",
            d.linkSpec().oneWayDelayMillis()), null, visibleAt >= 0, String.format(Locale.ROOT,
            "%.0f ms after the commit, %d polls; allowed by the design: invalidation arrives within the "
                + "propagation delay", visibleMillis, polls)));
    WanBytes w0 = d.wanBytes();
    long t0 = System.nanoTime();
    String got = sha(branch, path);
    double seconds = (System.nanoTime() - t0) / 1e9;
    WanBytes wan = d.wanBytes().minus(w0);
    boolean correct = got.equals(newSha);
    String note = correct ? "re-read after the change became visible: new content"
        : got.equals(oldSha) ? "re-read after the new size was visible still returned the old content"
        : "read returned neither the old nor the new content";
    return new Row("5-insert-100", "100 bytes inserted mid-file at headquarters, file re-read at the branch", seconds,
        wan.up(), wan.down(), Double.NaN, "",
        String.format(Locale.ROOT, "WAN ≤ 200 KiB (%s)", Report.bytes(wan.total())), wan.total() <= 200 << 10,
        correct, note);
  }

  private Row fuseTar(Deployment d, Dataset ds) throws IOException, InterruptedException {
    String why = fuseMissing();
    if (why != null) {
      return Row.notRun("1a-fuse-tar", "cold read: tar cf - . over the FUSE mount", "n/a: " + why);
    }
    Path mnt = o.workDir().resolve("mnt");
    Files.createDirectories(mnt);
    try (OutpostClient c = d.branchClient();
        OutpostMount m = OutpostMount.mount(c, mnt, MountOptions.DEFAULTS.withReadOnly(true))) {
      WanBytes w0 = d.wanBytes();
      long t0 = System.nanoTime();
      // Piped: GNU tar writing straight to /dev/null skips reading file contents.
      Process p = new ProcessBuilder("bash", "-c", "tar cf - . | wc -c").directory(mnt.resolve("tree").toFile())
          .redirectErrorStream(false).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      int exit = p.waitFor();
      double seconds = (System.nanoTime() - t0) / 1e9;
      WanBytes wan = d.wanBytes().minus(w0);
      long tarBytes = out.matches("\\d+") ? Long.parseLong(out) : -1;
      boolean correct = exit == 0 && tarBytes >= ds.treeBytes();
      double tput = ds.treeBytes() / seconds;
      double frac = tput / d.linkSpec().bytesPerSecond();
      return new Row("1a-fuse-tar", "cold read: tar cf - . | wc -c over the FUSE mount (proxy cold)", seconds,
          wan.up(), wan.down(), Double.NaN, "",
          String.format(Locale.ROOT, "≥ 80%% of link rate (%.0f%%)", frac * 100), frac >= 0.80, correct,
          "tar wrote " + tarBytes + " bytes for " + ds.treeBytes() + " bytes of files" + (exit == 0 ? ""
              : "; tar exited " + exit + ": " + err));
    }
  }

  /** Why FUSE cannot be used here, or null if it can. */
  static String fuseMissing() {
    if (!Files.exists(Path.of("/dev/fuse"))) {
      return "no /dev/fuse";
    }
    if (!Files.isReadable(MountOptions.DEFAULT_LIBFUSE)) {
      return "libfuse3 not found at " + MountOptions.DEFAULT_LIBFUSE;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "fusermount3"))) {
        return null;
      }
    }
    return "fusermount3 not on PATH";
  }

  // ---- a fresh proxy JVM ----

  /** Restarts the proxy with an empty cache, then warms its JIT (not its cache) as {@link #warmUpProxyJit} says. */
  private void restartProxyCold(Deployment d) throws IOException, InterruptedException {
    d.restartProxyCold();
    warmUpProxyJit(d);
  }

  /**
   * The warm-up set, outside the dataset ({@value #WARMUP_ROOT}, random bytes of another seed, so it shares no
   * block with it): 200 × 4 KiB in 20 directories, 10 × 256 KiB, one 4 MiB file.
   */
  private void seedJitWarmup(OutpostClient hq) {
    if (o.direct() || o.jitWarmupRounds() == 0) {
      return;
    }
    SplittableRandom random = new SplittableRandom(o.seed() ^ 0x3A17_3A17L);
    for (int i = 0; i < 200; i++) {
      writeWarmup(hq, WARMUP_ROOT + "/small/d" + (i / 10) + "/f" + i, 4 << 10, random);
    }
    for (int i = 0; i < 10; i++) {
      writeWarmup(hq, WARMUP_ROOT + "/medium/f" + i, 256 << 10, random);
    }
    writeWarmup(hq, WARMUP_ROOT + "/big/f", 4 << 20, random);
  }

  private void writeWarmup(OutpostClient hq, String path, int size, SplittableRandom random) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    hq.mkdir(path.substring(0, path.lastIndexOf('/')), true);
    hq.write(path, bytes, WriteOptions.DEFAULTS);
    warmupExpected.put(path, HexFormat.of().formatHex(Dataset.sha256().digest(bytes)));
  }

  /**
   * A freshly started proxy JVM runs interpreted code until its JIT has seen a few thousand requests (a branch
   * proxy that has served for a while has not); measured on this machine its first 3,000 cached file reads ran
   * 2–3× slower than the next ones. So each new proxy reads the warm-up set {@code --jit-warmup-rounds} times
   * (listings, attributes, misses and hits, every byte checked) before anything is measured: its cache then
   * holds the warm-up set only, none of the dataset.
   */
  private void warmUpProxyJit(Deployment d) throws IOException {
    if (d.direct() || o.jitWarmupRounds() == 0) {
      return;
    }
    long t0 = System.nanoTime();
    WanBytes w0 = d.wanBytes();
    long[] reads = {0};
    try (OutpostClient c = d.branchClient()) {
      for (int round = 0; round < o.jitWarmupRounds(); round++) {
        walkFiles(c, WARMUP_ROOT, (path, size) -> {
          if (!sha(c, path).equals(warmupExpected.get(path))) {
            throw new OutpostException(ErrorCode.BLOCK_CORRUPT, "warm-up file " + path + " read back wrong");
          }
          reads[0]++;
        });
      }
    }
    WanBytes wan = d.wanBytes().minus(w0);
    progress.printf(Locale.ROOT, "    proxy JIT warm-up: %d file reads in %.1f s (WAN down %s)%n", reads[0],
        (System.nanoTime() - t0) / 1e9, Report.bytes(wan.down()));
  }

  // ---- reading ----

  private record TreeRead(long files, long bytes, double seconds, WanBytes wan, double bigSeconds, WanBytes bigWan,
      List<String> mismatches, long missing, String upstream) {
    boolean correct() {
      return mismatches.isEmpty() && missing == 0;
    }

    String note() {
      String s = files + " files, " + Report.bytes(bytes);
      if (!mismatches.isEmpty()) {
        s += "; wrong content: " + mismatches.subList(0, Math.min(5, mismatches.size()));
      }
      if (missing != 0) {
        s += "; " + missing + " expected files not seen";
      }
      return s + upstream;
    }
  }

  /** Walks the tree in name order as tar would, reading every file sequentially and checking its SHA-256. */
  private TreeRead readTree(OutpostClient c, Deployment d, Map<String, String> expected, Dataset.Entry big)
      throws IOException, InterruptedException {
    String bigPath = "/" + big.path();
    List<String> mismatches = new ArrayList<>();
    long[] files = {0};
    long[] bytes = {0};
    double[] bigSeconds = {Double.NaN};
    WanBytes[] bigWan = {WanBytes.ZERO};
    // Where the time went: nanoseconds per top-level directory of the tree (big, medium, small).
    Map<String, Long> nanosByKind = new java.util.TreeMap<>();
    Map<String, Long> counts0 = d.direct() ? Map.of() : d.proxyCounts();
    WanBytes w0 = d.wanBytes();
    long t0 = System.nanoTime();
    walkFiles(c, TREE_ROOT, (path, size) -> {
      WanBytes fw0 = d.wanBytes();
      long f0 = System.nanoTime();
      String got = sha(c, path);
      String kind = path.substring(TREE_ROOT.length() + 1).split("/", 2)[0];
      nanosByKind.merge(kind, System.nanoTime() - f0, Long::sum);
      if (path.equals(bigPath)) {
        bigSeconds[0] = (System.nanoTime() - f0) / 1e9;
        bigWan[0] = d.wanBytes().minus(fw0);
      }
      files[0]++;
      bytes[0] += size;
      if (!got.equals(expected.get(path))) {
        mismatches.add(path);
      }
    });
    double seconds = (System.nanoTime() - t0) / 1e9;
    WanBytes wan = d.wanBytes().minus(w0);
    long missing = expected.keySet().stream().filter(p -> p.startsWith(TREE_ROOT + "/")).count() - files[0];
    String upstream = d.direct() ? "" : upstreamPerFile(counts0, d.proxyCounts(), files[0]);
    StringBuilder split = new StringBuilder();
    long inFiles = 0;
    for (var e : nanosByKind.entrySet()) {
      split.append(String.format(Locale.ROOT, "%s %.2f s, ", e.getKey(), e.getValue() / 1e9));
      inFiles += e.getValue();
    }
    progress.printf(Locale.ROOT, "    %d files, %s in %.2f s (%slistings %.2f s), WAN up %s down %s%s%n", files[0],
        Report.bytes(bytes[0]), seconds, split, seconds - inFiles / 1e9, Report.bytes(wan.up()),
        Report.bytes(wan.down()), upstream);
    return new TreeRead(files[0], bytes[0], seconds, wan, bigSeconds[0], bigWan[0], mismatches, Math.max(0, missing),
        upstream);
  }

  /**
   * What the proxy asked the origin during a read, per file read: client requests that had to go upstream
   * (attribute misses, block misses) and the proxy's own work (origin round trips of relayed requests, GET_BLOCKS
   * batches, blocks prefetched), from its admin API's metrics.
   */
  static String upstreamPerFile(Map<String, Long> before, Map<String, Long> after, long files) {
    String[][] shown = {{"attrs.misses", "attr misses"}, {"cache.misses", "block misses"},
        {"origin.roundTrip", "relayed round trips"}, {"origin.blockFetches", "blocks fetched upstream"},
        {"cache.prefetched", "blocks prefetched"}, {"cache.coalesced", "joined flights"}};
    StringBuilder b = new StringBuilder("; per file read (proxy metrics):");
    for (String[] m : shown) {
      String key = "outpost.proxy." + m[0];
      long n = after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L);
      b.append(String.format(Locale.ROOT, " %s %.3f,", m[1], n / (double) Math.max(1, files)));
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }

  private interface FileVisitor {
    void visit(String path, long size) throws IOException;
  }

  private static void walkFiles(OutpostClient c, String dir, FileVisitor v) throws IOException {
    List<DirEntry> es = new ArrayList<>(c.list(dir));
    es.sort(Comparator.comparing(DirEntry::name));
    for (DirEntry e : es) {
      String p = dir + "/" + e.name();
      if (e.attr().type() == FileType.DIRECTORY) {
        walkFiles(c, p, v);
      } else if (e.attr().type() == FileType.FILE) {
        v.visit(p, e.attr().size());
      }
    }
  }

  /** Recursive listing with every entry's attributes (what ls -lR needs); returns the number of entries. */
  private static long walk(OutpostClient c, String dir) {
    long n = 0;
    for (DirEntry e : c.list(dir)) {
      n++;
      if (e.attr().type() == FileType.DIRECTORY) {
        n += walk(c, dir + "/" + e.name());
      }
    }
    return n;
  }

  /** Reads the whole file through {@link #readBuffer} (as tar reuses its record buffer) and hashes it. */
  private String sha(OutpostClient c, String path) throws IOException {
    MessageDigest md = Dataset.sha256();
    byte[] buf = readBuffer;
    try (InputStream in = c.openRead(path)) {
      for (int n; (n = in.read(buf)) >= 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  // ---- writing ----

  private record Uploaded(long files, long bytesRead, long bytesUploaded, boolean correct) {}

  private static Uploaded upload(OutpostClient c, Dataset ds, List<Dataset.Entry> entries, String prefix, int threads)
      throws IOException, InterruptedException {
    TreeSet<String> dirs = new TreeSet<>();
    for (Dataset.Entry e : entries) {
      String p = prefix + "/" + e.path();
      dirs.add(p.substring(0, p.lastIndexOf('/')));
    }
    for (String dir : dirs) {
      c.mkdir(dir, true);
    }
    AtomicLong read = new AtomicLong();
    AtomicLong uploaded = new AtomicLong();
    boolean correct = true;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Boolean>> fs = new ArrayList<>();
      for (Dataset.Entry e : entries) {
        fs.add(pool.submit(() -> {
          WriteReport r = c.upload(ds.local(e), prefix + "/" + e.path(), WriteOptions.DEFAULTS);
          read.addAndGet(r.bytesRead());
          uploaded.addAndGet(r.bytesUploaded());
          return r.attr().size() == e.sizeBytes() && r.bytesRead() == e.sizeBytes();
        }));
      }
      for (Future<Boolean> f : fs) {
        correct &= f.get();
      }
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof OutpostException oe ? oe
          : new OutpostException(ErrorCode.INTERNAL, "upload failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    return new Uploaded(entries.size(), read.get(), uploaded.get(), correct);
  }

  // ---- ceilings ----

  private record Copy(long bytes, double seconds, WanBytes wan) {
    double throughput() {
      return bytes / seconds;
    }
  }

  /** Copies {@code bytes} over one TCP connection (through a fresh link of {@code spec}, or loopback if null). */
  static Copy rawCopy(long bytes, LinkSpec spec) throws IOException, InterruptedException {
    try (ServerSocket sink = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        try (Socket s = sink.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
          byte[] buf = new byte[1 << 16];
          long left = bytes;
          while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
              return;
            }
            left -= n;
          }
          out.write(1);
          out.flush();
        } catch (IOException e) {
          // The sender sees the connection fail and reports it.
        }
      }, "raw-copy-sink");
      t.setDaemon(true);
      t.start();
      InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), sink.getLocalPort());
      WanLink link = spec == null ? null : WanLink.open(target, spec);
      try (Socket s = new Socket()) {
        s.setTcpNoDelay(true);
        s.connect(link == null ? target : link.address(), 10_000);
        byte[] buf = new byte[1 << 18];
        new SplittableRandom(1).nextBytes(buf);
        long t0 = System.nanoTime();
        OutputStream out = s.getOutputStream();
        for (long left = bytes; left > 0; ) {
          int n = (int) Math.min(buf.length, left);
          out.write(buf, 0, n);
          left -= n;
        }
        out.flush();
        if (s.getInputStream().read() != 1) {
          throw new OutpostException(ErrorCode.INTERNAL, "raw copy: the sink did not acknowledge " + bytes + " bytes");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Copy(bytes, seconds, link == null ? WanBytes.ZERO : link.bytes());
      } finally {
        if (link != null) {
          link.close();
        }
        t.join(10_000);
      }
    }
  }

  // ---- helpers ----

  private record Measured<T>(T value, double seconds, WanBytes wan) {}

  private interface Work<T> {
    T run() throws IOException, InterruptedException;
  }

  private static <T> Measured<T> measure(Deployment d, Work<T> w) throws IOException, InterruptedException {
    WanBytes w0 = d.wanBytes();
    long t0 = System.nanoTime();
    T v = w.run();
    double s = (System.nanoTime() - t0) / 1e9;
    return new Measured<>(v, s, d.wanBytes().minus(w0));
  }

  private void step(String s) {
    progress.println("bench-wan: " + s);
    progress.flush();
  }

  private static String memTotal() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          long kib = Long.parseLong(line.replaceAll("\\D", ""));
          return String.format(Locale.ROOT, "%.1f GiB", kib / (1024.0 * 1024));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return "unknown (" + e.getMessage() + ")";
    }
    return "unknown";
  }
}
