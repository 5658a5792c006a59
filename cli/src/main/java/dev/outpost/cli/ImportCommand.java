package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.client.WriteReport;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "import", mixinStandardHelpOptions = true,
    description = {"Copy a local directory tree into the volume: files in parallel, only blocks the server lacks"
        + " are sent, and files whose remote size and mtime already match are skipped, so an interrupted import"
        + " resumes where it stopped. Remote mtimes are set from the local ones."},
    footer = {"%nExample:", "  outpost import -j 8 ~/projects /projects"})
final class ImportCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "LOCAL_DIR")
  Path localDir;

  @Parameters(index = "1", paramLabel = "REMOTE_DIR")
  String remoteDir;

  private final AtomicLong filesDone = new AtomicLong();
  private final AtomicLong filesUploaded = new AtomicLong();
  private final AtomicLong filesSkipped = new AtomicLong();
  private final AtomicLong filesFailed = new AtomicLong();
  private final AtomicLong bytesRead = new AtomicLong();
  private final AtomicLong bytesUploaded = new AtomicLong();
  private final AtomicLong bytesDone = new AtomicLong();

  private record Item(Path local, String remote, BasicFileAttributes attrs) {}

  @Override
  int run(OutpostClient client) throws Exception {
    if (!Files.isDirectory(localDir)) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "no such local directory: " + localDir);
    }
    VolumePath.check(remoteDir);
    long started = System.nanoTime();
    List<Item> dirs = new ArrayList<>();
    List<Item> files = new ArrayList<>();
    List<Item> links = new ArrayList<>();
    long totalBytes = 0;
    Path root = localDir.toAbsolutePath().normalize();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
        int inexact = firstInexactName(root.relativize(p));
        if (inexact >= 0) {
          // Report the entry whose own name is not UTF-8 once; what lies below it is skipped with it.
          if (inexact == root.relativize(p).getNameCount() - 1) {
            fail(p, "name is not valid UTF-8 (shown with U+FFFD); rename it to import it"
                + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? " and its contents" : ""));
          }
          continue;
        }
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String remote = remotePath(root, p);
        if (a.isDirectory()) {
          dirs.add(new Item(p, remote, a));
        } else if (a.isRegularFile()) {
          files.add(new Item(p, remote, a));
          totalBytes += a.size();
        } else if (a.isSymbolicLink()) {
          links.add(new Item(p, remote, a));
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot walk " + localDir + ": " + e.getMessage(), e);
    }

    client.mkdir(remoteDir, true);
    for (Item d : dirs) {
      if (!d.remote().equals(remoteDir)) {
        ensureDir(client, d.remote());
      }
    }
    for (Item l : links) {
      failSoft(l.local(), () -> importLink(client, l));
    }

    Progress progress = new Progress(main, files.size(), totalBytes);
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "outpost-import-progress");
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(() -> progress.show(filesDone.get(), bytesDone.get(), bytesUploaded.get()),
        main.terminal ? 200 : 2000, main.terminal ? 200 : 2000, TimeUnit.MILLISECONDS);
    ExecutorService pool = Executors.newFixedThreadPool(client.config().parallelism(), r -> {
      Thread t = new Thread(r, "outpost-import");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (Item f : files) {
        futures.add(pool.submit(() -> {
          failSoft(f.local(), () -> importFile(client, f));
          filesDone.incrementAndGet();
          bytesDone.addAndGet(f.attrs().size());
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
      ticker.shutdownNow();
      ticker.awaitTermination(1, TimeUnit.SECONDS);
    }
    progress.show(filesDone.get(), bytesDone.get(), bytesUploaded.get());
    progress.finish();
    double secs = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
    main.out.println(String.format(Locale.ROOT,
        "imported %d files (%d uploaded, %d unchanged, %d failed) in %.1f s: %s read, %s uploaded (read/uploaded %s: dedup and compression), %s/s",
        files.size(), filesUploaded.get(), filesSkipped.get(), filesFailed.get(), secs, Bytes.human(bytesRead.get()),
        Bytes.human(bytesUploaded.get()), Bytes.ratio(bytesRead.get(), bytesUploaded.get()),
        Bytes.human((long) (bytesRead.get() / secs))));
    return filesFailed.get() == 0 ? OutpostMain.EXIT_OK : OutpostMain.EXIT_FAILURE;
  }

  private void importFile(OutpostClient client, Item f) {
    long mtime = f.attrs().lastModifiedTime().toMillis();
    Optional<FileAttr> existing = client.statIfExists(f.remote());
    if (existing.isPresent()) {
      FileAttr a = existing.get();
      if (a.type() == FileType.FILE && a.size() == f.attrs().size() && a.mtimeMillis() == mtime) {
        filesSkipped.incrementAndGet();
        return;
      }
      if (a.type() != FileType.FILE) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, f.remote() + " exists and is a " + a.type().name().toLowerCase(Locale.ROOT));
      }
    }
    WriteOptions o = WriteOptions.DEFAULTS.withMtimeMillis(mtime)
        .withBaseVersion(existing.map(FileAttr::version).orElse(0L));
    WriteReport r = client.upload(f.local(), f.remote(), o);
    filesUploaded.incrementAndGet();
    bytesRead.addAndGet(r.bytesRead());
    bytesUploaded.addAndGet(r.bytesUploaded());
  }

  private void importLink(OutpostClient client, Item l) {
    Path targetPath;
    try {
      targetPath = Files.readSymbolicLink(l.local());
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot read link " + l.local() + ": " + e.getMessage(), e);
    }
    if (firstInexactName(targetPath) >= 0) {
      throw new OutpostException(ErrorCode.INVALID_PATH, "link target is not valid UTF-8 (shown with U+FFFD)");
    }
    String target = targetPath.toString();
    Optional<FileAttr> existing = client.statIfExists(l.remote());
    if (existing.isPresent()) {
      if (existing.get().type() == FileType.SYMLINK && existing.get().linkTarget().equals(target)) {
        return;
      }
      throw new OutpostException(ErrorCode.ALREADY_EXISTS, l.remote() + " exists and is not the same link");
    }
    client.symlink(l.remote(), target);
  }

  private void ensureDir(OutpostClient client, String path) {
    try {
      client.mkdir(path, false);
    } catch (OutpostException e) {
      if (e.code() != ErrorCode.ALREADY_EXISTS) {
        throw e;
      }
      if (client.stat(path).type() != FileType.DIRECTORY) {
        throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + path);
      }
    }
  }

  /** One bad file does not stop the import: it is reported on one line and counted. */
  private void failSoft(Path local, Runnable r) {
    try {
      r.run();
    } catch (OutpostException e) {
      fail(local, e.getMessage());
    }
  }

  private void fail(Path local, String message) {
    filesFailed.incrementAndGet();
    synchronized (main.err) {
      main.err.println("outpost: import " + local + ": " + message);
    }
  }

  /**
   * The index of the first name of {@code p} whose String form does not encode back to its bytes, or -1. The JDK
   * keeps a local file name as bytes but shows it decoded with the locale's charset, U+FFFD for what it cannot
   * decode; importing that String would store another name (ADR 0003). A genuine U+FFFD round-trips and passes.
   */
  private static int firstInexactName(Path p) {
    for (int i = 0; i < p.getNameCount(); i++) {
      Path name = p.getName(i);
      try {
        if (!name.getFileSystem().getPath(name.toString()).equals(name)) {
          return i;
        }
      } catch (InvalidPathException e) {
        return i; // the locale's charset cannot even encode what it decoded
      }
    }
    return -1;
  }

  private String remotePath(Path root, Path p) {
    String out = remoteDir;
    for (Path part : root.relativize(p)) {
      String name = part.toString();
      if (name.isEmpty()) {
        continue;
      }
      out = VolumePath.join(out, name);
    }
    return out;
  }
}
