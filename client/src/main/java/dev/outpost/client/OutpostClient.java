package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.core.VolumePath;
import dev.outpost.crypto.AccessToken;
import dev.outpost.crypto.BlockFormat;
import dev.outpost.crypto.BlockSealer;
import dev.outpost.crypto.Chunker;
import dev.outpost.crypto.FileRoot;
import dev.outpost.crypto.RootKeys;
import dev.outpost.crypto.VolumeKey;
import dev.outpost.crypto.VolumeKeyFile;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.LeaseAcquire;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.protocol.LeaseRecall;
import dev.outpost.protocol.LeaseRelease;
import dev.outpost.protocol.LeaseRenew;
import dev.outpost.protocol.Leases;
import dev.outpost.protocol.LinkTarget;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.OperationId;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.ReadLink;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.Request;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.protocol.Welcome;
import dev.outpost.transport.Backoff;
import dev.outpost.transport.ConflictException;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.RpcLink;
import dev.outpost.transport.Tls;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Outpost client library: file operations on one volume through an origin or a branch proxy (the same
 * protocol; point {@link ClientConfig#server()} at either). All encryption happens here: the server sees only
 * ciphertext, public index parts and wrapped root keys.
 *
 * <p>Reads fetch blocks pipelined with a read-ahead window and open them on a worker pool; writes chunk, seal
 * and upload while streaming, sending only blocks the server lacks, and commit with the version they started
 * from, so a lost race surfaces as {@link CommitConflictException} instead of a silent overwrite.
 *
 * <p>Thread-safe: one client serves any number of threads over one multiplexed connection. Every failure is an
 * {@link OutpostException} whose message is one line for a user ("no such file: /a/b"). Close it to release the
 * connection, its threads and the key material.
 *
 * <p>The connection comes back by itself. After it is lost the client reconnects in the background (jittered
 * exponential backoff, {@link ClientConfig#reconnect()}) with the same token and TLS settings; a call made
 * meanwhile waits up to {@link ClientConfig#connectTimeout()} for it, then fails UNAVAILABLE. A request the loss
 * left unanswered is sent again, once, on the new connection — reads, directory listings, block fetches and
 * uploads (named by content), and every commit and namespace change: each carries an operation id (this
 * client's random originator and a sequence), so the origin applies it once and answers the resend from its
 * record. Only if the resend loses its connection too does the call fail UNAVAILABLE "connection lost; the
 * operation may or may not have been applied" (leases and snapshots are not resent and fail so at once). A read
 * stream goes on where it was; watches subscribe again from their last event ({@link Watch}). At most 1,024
 * mutations are outstanding at once (a caller beyond waits), so a resend always falls within the origin's window
 * of 4,096 replies per originator. A server that vanished without closing the connection is noticed by the
 * heartbeat ({@link ClientConfig#heartbeat()}) and treated as a lost connection.
 *
 * <p>Answers from a branch proxy cut off from the origin may be stale: {@link #describe}, {@link #listing} and
 * {@link OutpostFile#staleSince()} say since when.
 *
 * <p>{@link #lease Leases} give one writer a path; writes name theirs with {@link WriteOptions#withLease}, and a
 * late write under a lease that was lost is refused FENCED. A lease is never acquired again on reconnection: its
 * token goes on fencing (see {@link Lease}).
 */
public final class OutpostClient implements AutoCloseable {
  /** Reported in HELLO. */
  public static final String AGENT = "outpost-client/0.1";
  public static final int DEFAULT_DIR_MODE = 0755;
  /** A waiting acquire asks again after at most this long. */
  public static final long LEASE_RETRY_MAX_MILLIS = 200;
  private static final long LEASE_RETRY_MIN_MILLIS = 10;
  private static final Logger log = LoggerFactory.getLogger(OutpostClient.class);

  private final ClientConfig config;
  private final VolumeKey volumeKey;
  private final BlockSealer sealer;
  private final Chunker chunker;
  private final EventLoopGroup group;
  private final ExecutorService workers;
  private final RpcLink link;
  private final Calls calls;
  private final BlockFetcher fetcher;
  private final IndexCache indexCache;
  private final ZeroChunk zeroChunk;
  private final SecureRandom random = new SecureRandom();
  /** Open leases by token, for the server's recalls. */
  private final ConcurrentHashMap<Long, Lease> leases = new ConcurrentHashMap<>();
  /**
   * Lease listeners (recall, loss, unverifiable) run here: they may write and release, which must not hold the
   * event loop or a worker.
   */
  private final ExecutorService leaseEvents =
      Executors.newSingleThreadExecutor(Thread.ofPlatform().name("outpost-lease-events").daemon().factory());
  /** Sends the automatic lease renewals (without waiting for their answers). */
  private final ScheduledExecutorService leaseRenewals =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("outpost-lease-renewal").daemon().factory());
  /** Every connection, the first and each reconnection, hands its pushes to this client. */
  private final Consumer<RpcLink.Generation> receivePushes = g -> g.rpc().onPush((session, reply) -> onPush(reply));

  private OutpostClient(ClientConfig config, VolumeKey volumeKey, EventLoopGroup group, ExecutorService workers,
      RpcLink link) {
    this.config = config;
    this.volumeKey = volumeKey;
    this.sealer = new BlockSealer(volumeKey);
    this.chunker = new Chunker(volumeKey.gearTable());
    this.group = group;
    this.workers = workers;
    this.link = link;
    this.calls = new Calls(link, new OperationIds(random, OperationIds.MAX_SPREAD));
    this.fetcher = new BlockFetcher(link, workers);
    this.indexCache = new IndexCache(fetcher);
    this.zeroChunk = ZeroChunk.of(chunker, sealer);
    link.onUp(receivePushes);
  }

  /**
   * Reads the key file, connects and performs the handshake.
   *
   * @throws OutpostException INVALID_ARGUMENT for an unreadable key file or TLS file, UNAVAILABLE if the server
   *     cannot be reached, UNAUTHORIZED if it refuses the token
   */
  public static OutpostClient connect(ClientConfig config) {
    VolumeKey key;
    try {
      key = VolumeKeyFile.read(config.keyFile()).key();
    } catch (NoSuchFileException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "key file not found: " + config.keyFile(), e);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot read key file " + config.keyFile() + ": " + e.getMessage(), e);
    }
    return connect(config, key);
  }

  /** As {@link #connect(ClientConfig)} with a key already in memory (the client destroys it on close). */
  public static OutpostClient connect(ClientConfig config, VolumeKey key) {
    RpcClient.Options options = RpcClient.Options.plain(AGENT, config.token())
        .withConnectTimeout(config.connectTimeout()).withHeartbeat(config.heartbeat().toTransport());
    if (config.tlsCa().isPresent()) {
      Path ca = config.tlsCa().get();
      options = options.withTls(Tls.client(ca, config.tlsClientCert()
          .map(c -> new Tls.KeyMaterial(ca, c.cert(), c.key()))));
    }
    EventLoopGroup group = Transports.newGroup("outpost-client-io", 1);
    ExecutorService workers = newWorkers(config.parallelism());
    try {
      var unresolved = config.address();
      var address = new java.net.InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
      if (address.isUnresolved()) {
        throw new OutpostException(ErrorCode.UNAVAILABLE, "cannot resolve host " + unresolved.getHostString());
      }
      RpcLink link;
      try {
        link = RpcLink.connect(group, address, options,
            new Backoff(config.reconnect().initialMillis(), config.reconnect().maxMillis()), config.connectTimeout());
      } catch (OutpostException e) {
        throw explainHandshake(config, e);
      }
      return new OutpostClient(config, key, group, workers, link);
    } catch (RuntimeException e) {
      workers.shutdownNow();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      key.destroy();
      throw e;
    }
  }

  /** A connection the server drops during the handshake is nearly always a TLS mismatch: say so. */
  private static OutpostException explainHandshake(ClientConfig config, OutpostException e) {
    String msg = String.valueOf(e.getMessage());
    if (e.code() != ErrorCode.UNAVAILABLE || !(msg.endsWith("connection closed") || msg.contains("write failed"))) {
      return e;
    }
    String hint = config.tlsCa().isEmpty()
        ? "the server may require TLS: give a CA to trust (--tls-ca / tlsCa)"
        : config.tlsClientCert().isEmpty()
            ? "the server may require a client certificate (--tls-cert/--tls-key), or does not speak TLS"
            : "the server refused the TLS handshake: check the CA and the client certificate";
    return new OutpostException(ErrorCode.UNAVAILABLE, msg + " during the handshake (" + hint + ")", e);
  }

  private static ExecutorService newWorkers(int threads) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        Thread.ofPlatform().name("outpost-client-worker-", 1).daemon().factory());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Blocks (data and index) requested from the server so far. */
  long blocksRequested() {
    return fetcher.blocksRequested();
  }

  /** The opened index blocks this client keeps (tests look at what a read asked for ahead). */
  IndexCache indexCache() {
    return indexCache;
  }

  public ClientConfig config() {
    return config;
  }

  /** The server's WELCOME on the latest connection: its agent, the volume name, the journal sequence then. */
  public Welcome welcome() {
    return link.welcome();
  }

  /**
   * Whether this client's token grants reading only, as the token itself says (read without verifying it: the
   * server checks the token and refuses what it does not grant, whatever this says). Lets a caller refuse at once
   * a change such a token cannot make — the FUSE mount fails open-for-write with EACCES instead of at close.
   * False when the token is not of the form Outpost's origin signs (then only the server knows).
   */
  public boolean tokenIsReadOnly() {
    try {
      return !AccessToken.readUnverified(config.token()).mode().allows(AccessToken.Mode.RW);
    } catch (OutpostException e) {
      return false;
    }
  }

  /** Connections made after the first one (each loss of the connection costs one). */
  public long reconnects() {
    return link.reconnects();
  }

  // ---------------------------------------------------------------- metadata

  /** @throws OutpostException NOT_FOUND "no such file: PATH" */
  public FileAttr stat(String path) {
    return describe(path).attr();
  }

  /**
   * The attributes and whether they may be stale (a branch proxy cut off from the origin answers from its
   * cache).
   *
   * @throws OutpostException NOT_FOUND "no such file: PATH"
   */
  public Stat describe(String path) {
    Reply r = call(path, new GetAttr("", VolumePath.check(path)));
    if (r instanceof AttrReply a) {
      return new Stat(path, a.attr(), Stat.staleSince(a.staleSinceMillis()));
    }
    throw unexpected(r, "ATTR");
  }

  /** The attributes, or empty if nothing exists at {@code path}. */
  public Optional<FileAttr> statIfExists(String path) {
    try {
      return Optional.of(stat(path));
    } catch (OutpostException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Every entry of a directory in name order, with attributes (all pages of READDIR). */
  public List<DirEntry> list(String path) {
    return listing(path).entries();
  }

  /** As {@link #list(String)}, with whether the listing may be stale. */
  public Listing listing(String path) {
    return listing(path, ReadDir.MAX_ENTRIES);
  }

  /** As {@link #listing(String)} asking for {@code pageEntries} per round trip (tests exercise paging with it). */
  Listing listing(String path, int pageEntries) {
    VolumePath.check(path);
    List<DirEntry> out = new ArrayList<>();
    long staleSince = 0;
    String after = "";
    while (true) {
      Reply r = call(path, new ReadDir("", path, after, pageEntries));
      if (!(r instanceof DirPage page)) {
        throw unexpected(r, "DIR_PAGE");
      }
      out.addAll(page.entries());
      if (page.staleSinceMillis() != 0 && (staleSince == 0 || page.staleSinceMillis() < staleSince)) {
        staleSince = page.staleSinceMillis();
      }
      if (!page.more() || page.entries().isEmpty()) {
        return new Listing(path, out, Stat.staleSince(staleSince));
      }
      after = page.entries().getLast().name();
    }
  }

  /**
   * Creates a directory; with {@code parents} also the missing directories above it, and an existing directory
   * is not an error.
   */
  public FileAttr mkdir(String path, boolean parents) {
    return mkdir(path, parents, 0);
  }

  /**
   * As {@link #mkdir(String, boolean)} under the lease with {@code leaseToken} (0 = none): refused FENCED if it is
   * not the current lease covering the path. The parents {@code parents} creates carry no token.
   */
  public FileAttr mkdir(String path, boolean parents, long leaseToken) {
    VolumePath.check(path);
    if (!parents) {
      return attrOf(path, call(path, new Mkdir(path, DEFAULT_DIR_MODE, leaseToken, OperationId.NONE)));
    }
    String at = VolumePath.ROOT;
    FileAttr attr = stat(at);
    for (String name : VolumePath.components(path)) {
      at = VolumePath.join(at, name);
      try {
        attr = attrOf(at, call(at, new Mkdir(at, DEFAULT_DIR_MODE, at.equals(path) ? leaseToken : 0,
            OperationId.NONE)));
      } catch (OutpostException e) {
        if (e.code() != ErrorCode.ALREADY_EXISTS) {
          throw e;
        }
        attr = stat(at);
        if (attr.type() != FileType.DIRECTORY) {
          throw new OutpostException(ErrorCode.NOT_A_DIRECTORY, "not a directory: " + at);
        }
      }
    }
    return attr;
  }

  /**
   * Removes a file or symlink, or an empty directory; with {@code recursive} a directory and everything below.
   */
  public void rm(String path, boolean recursive) {
    rm(path, recursive, 0);
  }

  /** As {@link #rm(String, boolean)}, every removal under the lease with {@code leaseToken} (0 = none). */
  public void rm(String path, boolean recursive, long leaseToken) {
    FileAttr attr = stat(path);
    if (path.equals(VolumePath.ROOT)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "refusing to remove the root directory");
    }
    if (attr.type() != FileType.DIRECTORY) {
      release(call(path, new Unlink(path, leaseToken, OperationId.NONE)));
      return;
    }
    if (recursive) {
      for (DirEntry e : list(path)) {
        rm(VolumePath.join(path, e.name()), true, leaseToken);
      }
    }
    release(call(path, new Rmdir(path, leaseToken, OperationId.NONE)));
  }

  /** Renames atomically, replacing a file at {@code to}. */
  public void mv(String from, String to) {
    mv(from, to, 0);
  }

  /** As {@link #mv(String, String)} under the lease with {@code leaseToken}, which must cover both paths. */
  public void mv(String from, String to, long leaseToken) {
    VolumePath.check(from);
    VolumePath.check(to);
    release(call(from, new Rename(from, to, leaseToken, OperationId.NONE)));
  }

  public FileAttr symlink(String path, String target) {
    return symlink(path, target, 0);
  }

  /** As {@link #symlink(String, String)} under the lease with {@code leaseToken} (0 = none). */
  public FileAttr symlink(String path, String target, long leaseToken) {
    return attrOf(path, call(path, new Symlink(VolumePath.check(path), target, leaseToken, OperationId.NONE)));
  }

  public String readlink(String path) {
    Reply r = call(path, new ReadLink("", VolumePath.check(path)));
    if (r instanceof LinkTarget t) {
      return t.target();
    }
    throw unexpected(r, "LINK_TARGET");
  }

  public FileAttr chmod(String path, int mode) {
    return chmod(path, mode, 0);
  }

  /** As {@link #chmod(String, int)} under the lease with {@code leaseToken} (0 = none). */
  public FileAttr chmod(String path, int mode, long leaseToken) {
    return attrOf(path, call(path, new SetAttr(VolumePath.check(path), OptionalInt.of(mode), OptionalLong.empty(),
        OptionalLong.empty(), leaseToken, OperationId.NONE)));
  }

  public FileAttr utimes(String path, long mtimeMillis) {
    return utimes(path, mtimeMillis, 0);
  }

  /** As {@link #utimes(String, long)} under the lease with {@code leaseToken} (0 = none). */
  public FileAttr utimes(String path, long mtimeMillis, long leaseToken) {
    return attrOf(path, call(path, new SetAttr(VolumePath.check(path), OptionalInt.empty(), OptionalLong.of(mtimeMillis),
        OptionalLong.empty(), leaseToken, OperationId.NONE)));
  }

  // ---------------------------------------------------------------- reads

  /**
   * Opens the file's current version for reading (one attribute round trip).
   *
   * @throws OutpostException NOT_FOUND, IS_A_DIRECTORY, BLOCK_CORRUPT when the root key does not unwrap
   */
  public OutpostFile open(String path) {
    Stat stat = describe(path);
    FileAttr attr = stat.attr();
    if (attr.type() == FileType.DIRECTORY) {
      throw new OutpostException(ErrorCode.IS_A_DIRECTORY, "is a directory: " + path);
    }
    if (attr.type() == FileType.SYMLINK) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "is a symlink (to " + attr.linkTarget() + "): " + path);
    }
    return open(path, attr, stat.staleSince());
  }

  /**
   * The version {@code attr} describes — a commit's reply, a listing's entry — without asking the server; reads
   * return its bytes as long as its blocks are kept (they are while it is the current version or in a snapshot).
   * Its {@link OutpostFile#staleSince()} is empty: it is as current as {@code attr}.
   *
   * @throws OutpostException IS_A_DIRECTORY or INVALID_ARGUMENT for what is not a file, BLOCK_CORRUPT when the
   *     root key does not unwrap
   */
  public OutpostFile open(String path, FileAttr attr) {
    return open(path, attr, Optional.empty());
  }

  private OutpostFile open(String path, FileAttr attr, Optional<Instant> staleSince) {
    if (attr.type() != FileType.FILE) {
      throw new OutpostException(attr.type() == FileType.DIRECTORY ? ErrorCode.IS_A_DIRECTORY
          : ErrorCode.INVALID_ARGUMENT, "not a regular file: " + path);
    }
    return new OutpostFile(path, attr, staleSince, attr.root().map(r -> contentRoot(path, attr, r)), fetcher,
        indexCache, zeroChunk, config.readAheadBytes());
  }

  /** The file's content as a stream with read-ahead. */
  public InputStream openRead(String path) {
    return open(path).inputStream();
  }

  /** Positional read of the current version; see {@link OutpostFile#read(long, byte[], int, int)}. */
  public int read(String path, long offset, byte[] b, int off, int len) {
    return open(path).read(offset, b, off, len);
  }

  /** Positional read into {@code dst}'s remaining bytes. */
  public int read(String path, long offset, ByteBuffer dst) {
    return open(path).read(offset, dst);
  }

  /**
   * Copies the whole file to a local path, replacing it only once every byte was read and verified: the bytes go
   * to a temporary file beside it (".NAME.PART-RANDOM", mode from the umask), renamed over {@code local} at the
   * end, so a failed download leaves neither a partial file nor a damaged old copy. Returns the bytes written.
   *
   * @throws OutpostException as {@link OutpostFile#inputStream()} reads fail (BLOCK_CORRUPT, ...), or
   *     INVALID_ARGUMENT if the local file cannot be written
   */
  public long download(String path, Path local) {
    OutpostFile file = open(path);
    Path part = local.resolveSibling("." + local.getFileName() + ".part-" + Long.toHexString(random.nextLong()));
    boolean done = false;
    try {
      long n;
      try (InputStream in = file.inputStream();
          OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        n = in.transferTo(out);
      }
      Files.move(part, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      done = true;
      return n;
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot write " + local + ": " + e.getMessage(), e);
    } finally {
      if (!done) {
        try {
          Files.deleteIfExists(part);
        } catch (IOException e) {
          log.warn("cannot remove the partial download {}: {}", part, e.toString());
        }
      }
    }
  }

  private ContentRoot contentRoot(String path, FileAttr attr, RootRef ref) {
    if (ref.cipherLength() > BlockFormat.MAX_CIPHER_BYTES || ref.cipherLength() < BlockFormat.MIN_CIPHER_BYTES) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, path + ": root block length " + ref.cipherLength() + " is impossible");
    }
    if (ref.depth() == 0 && attr.size() > BlockFormat.MAX_PLAIN_BYTES) {
      throw new OutpostException(ErrorCode.BLOCK_CORRUPT, path + ": size " + attr.size() + " cannot be a single block");
    }
    byte[] key;
    try {
      key = RootKeys.unwrap(volumeKey, attr.inode(), ref.wrappedKey());
    } catch (OutpostException e) {
      throw new OutpostException(e.code(), path + ": cannot unwrap the content key (wrong volume key file?): " + e.getMessage(), e);
    }
    return new ContentRoot(ref.block(), ref.depth(), ref.cipherLength(), key, attr.size());
  }

  // ---------------------------------------------------------------- writes

  /**
   * Opens a new version of {@code path} for writing. The base version is fixed now (the file's current version,
   * 0 if absent, or {@link WriteOptions#baseVersion()}); {@link FileWrite#close()} commits, failing with
   * {@link CommitConflictException} if the file changed meanwhile.
   */
  public FileWrite openWrite(String path, WriteOptions options) {
    VolumePath.check(path);
    Optional<FileAttr> existing = statIfExists(path);
    if (existing.isPresent() && existing.get().type() != FileType.FILE) {
      throw new OutpostException(existing.get().type() == FileType.DIRECTORY ? ErrorCode.IS_A_DIRECTORY
          : ErrorCode.INVALID_ARGUMENT, "not a regular file: " + path);
    }
    long base = options.baseVersion().orElse(existing.map(FileAttr::version).orElse(0L));
    Optional<FileAttr> baseAttr = existing.filter(a -> a.version() == base);
    return newWrite(path, base, baseAttr, options);
  }

  private FileWrite newWrite(String path, long base, Optional<FileAttr> baseAttr, WriteOptions options) {
    Uploader uploader = new Uploader(calls, Math.max(16L << 20, config.readAheadBytes() * 2));
    return new FileWrite(path, chunker, sealer, workers, config.parallelism() * 2, uploader, zeroChunk, fetcher,
        root -> commit(path, base, baseAttr, root, options));
  }

  /** Writes {@code in} (read to its end, not closed) as the new content of {@code path}. */
  public WriteReport write(String path, InputStream in, WriteOptions options) {
    FileWrite w = openWrite(path, options);
    byte[] buf = new byte[1 << 20];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        w.write(buf, 0, n);
      }
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot read the source of " + path + ": " + e.getMessage(), e);
    }
    w.close();
    return w.report();
  }

  /** Writes {@code bytes} as the new content of {@code path}. */
  public WriteReport write(String path, byte[] bytes, WriteOptions options) {
    return write(path, new java.io.ByteArrayInputStream(bytes), options);
  }

  /** Uploads a local file; the remote mtime is the local one unless {@code options} sets another. */
  public WriteReport upload(Path local, String path, WriteOptions options) {
    WriteOptions o = options;
    try {
      if (o.mtimeMillis().isEmpty()) {
        o = o.withMtimeMillis(Files.getLastModifiedTime(local).toMillis());
      }
      try (InputStream in = Files.newInputStream(local)) {
        return write(path, in, o);
      }
    } catch (NoSuchFileException e) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "no such local file: " + local, e);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "cannot read " + local + ": " + e.getMessage(), e);
    }
  }

  /**
   * Sets the file's size by writing a new version: the first {@code size} bytes of the current content,
   * padded with zeros if it grows. Commits against the version read, so a concurrent change is a conflict. The
   * kept chunks are reused and the zeros are the volume's zero chunk repeated ({@link FileWrite#append},
   * {@link FileWrite#writeZeros}): only the chunk the new end cuts is read again, whatever the sizes.
   *
   * @throws OutpostException FILE_TOO_LARGE past {@link BlockFormat#MAX_FILE_BYTES}, before anything is read
   */
  public WriteReport truncate(String path, long size) {
    return truncate(path, size, WriteOptions.DEFAULTS);
  }

  /**
   * As {@link #truncate(String, long)}, committing with the lease and mtime of {@code options} (the mode and
   * base version are the file's).
   */
  public WriteReport truncate(String path, long size, WriteOptions options) {
    if (size < 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "negative size " + size);
    }
    BlockFormat.checkFileSize(path, size);
    OutpostFile f = open(path);
    long keep = Math.min(size, f.size());
    FileWrite w = newWrite(path, f.attr().version(), Optional.of(f.attr()), new WriteOptions(f.attr().mode(),
        options.mtimeMillis(), OptionalLong.of(f.attr().version()), options.leaseToken()));
    w.append(f, 0, keep);
    w.writeZeros(size - keep);
    w.close();
    return w.report();
  }

  private FileAttr commit(String path, long base, Optional<FileAttr> baseAttr, Optional<FileRoot> root,
      WriteOptions options) {
    FileAttr target;
    if (base == 0) {
      try {
        target = attrOf(path, call(path, new Create(path, options.mode(), true, options.leaseToken(),
            OperationId.NONE)));
      } catch (OutpostException e) {
        if (e.code() == ErrorCode.ALREADY_EXISTS) {
          throw new CommitConflictException(path, base, statIfExists(path));
        }
        throw e;
      }
    } else {
      target = baseAttr.orElseGet(() -> stat(path));
      if (target.version() != base) {
        throw new CommitConflictException(path, base, Optional.of(target));
      }
    }
    Optional<RootRef> ref = root.map(r -> new RootRef(r.block(), r.depth(), r.cipherLength(),
        RootKeys.wrap(volumeKey, target.inode(), r.key(), random)));
    long size = root.map(FileRoot::sizeBytes).orElse(0L);
    long mtime = options.mtimeMillis().orElse(System.currentTimeMillis());
    try {
      return attrOf(path, call(path, new Commit(path, target.inode(), target.version(), ref, size, mtime,
          options.leaseToken())));
    } catch (ConflictException e) {
      throw new CommitConflictException(path, base, e.current().isPresent() ? e.current() : statIfExists(path));
    }
  }

  // ---------------------------------------------------------------- leases

  /**
   * Acquires a lease on {@code path} ({@code subtree}: and everything below) for {@code ttl} (the server may
   * shorten it), renewed automatically while it is held (see {@link Lease}). An exclusive lease keeps other
   * writers off the path; write under it with {@link WriteOptions#withLease}. Close it to release it.
   *
   * @throws OutpostException LEASE_CONFLICT naming the holder and its expiry while another party holds a
   *     conflicting lease — the server has then recalled it ({@link Lease#onRecall}), so asking again soon may
   *     succeed; OFFLINE from a branch proxy cut off from the origin (a lease cannot be granted there)
   */
  public Lease lease(String path, LeaseMode mode, boolean subtree, Duration ttl) {
    VolumePath.check(path);
    long ttlMillis = ttlMillis(ttl);
    long sent = System.nanoTime();
    Reply r = call(path, new LeaseAcquire(path, mode, subtree, ttlMillis));
    if (!(r instanceof LeaseGrant grant)) {
      throw unexpected(r, "LEASE_GRANT");
    }
    Lease lease = new Lease(grant, subtree, ttlMillis, sent, request -> call(path, request), calls::call,
        leaseRenewals, leaseEvents, Clock.systemUTC(), System::nanoTime, () -> leases.remove(grant.token()));
    leases.put(grant.token(), lease);
    return lease;
  }

  /**
   * As {@link #lease(String, LeaseMode, boolean, Duration)}, asking again while another party holds the path
   * (each refusal recalls the holder's lease) for up to {@code wait}, or until {@code giveUp} says so (checked
   * between attempts, at least every {@value #LEASE_RETRY_MAX_MILLIS} ms).
   *
   * @throws OutpostException LEASE_CONFLICT once {@code wait} has passed or {@code giveUp} said so; UNAVAILABLE
   *     if the thread is interrupted; other errors (OFFLINE, FORBIDDEN, ...) at once
   */
  public Lease lease(String path, LeaseMode mode, boolean subtree, Duration ttl, Duration wait,
      BooleanSupplier giveUp) {
    long deadline = System.nanoTime() + Math.max(0, wait.toNanos());
    long pauseMillis = LEASE_RETRY_MIN_MILLIS;
    while (true) {
      try {
        return lease(path, mode, subtree, ttl);
      } catch (OutpostException e) {
        long left = deadline - System.nanoTime();
        if (e.code() != ErrorCode.LEASE_CONFLICT || left <= 0 || giveUp.getAsBoolean()) {
          throw e;
        }
        try {
          Thread.sleep(Math.min(pauseMillis, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new OutpostException(ErrorCode.UNAVAILABLE, path + ": interrupted while waiting for the lease", ie);
        }
        if (giveUp.getAsBoolean()) {
          throw e;
        }
        pauseMillis = Math.min(LEASE_RETRY_MAX_MILLIS, pauseMillis * 2);
      }
    }
  }

  /**
   * Renews a lease known only by its path and token (acquired by another process, e.g. {@code outpost lease
   * acquire}), to {@code ttl} from now; it is not renewed again by itself.
   *
   * @throws OutpostException FENCED if it is no longer live (expired, released, taken over); OFFLINE from a
   *     branch proxy cut off from the origin
   */
  public LeaseGrant renewLease(String path, long token, Duration ttl) {
    Reply r = call(path, new LeaseRenew(VolumePath.check(path), token, ttlMillis(ttl)));
    if (r instanceof LeaseGrant g) {
      return g;
    }
    throw unexpected(r, "LEASE_GRANT");
  }

  /**
   * Releases a lease known only by its path and token. One that had already lapsed needs no release: that is
   * not an error.
   */
  public void releaseLease(String path, long token) {
    try {
      release(call(path, new LeaseRelease(VolumePath.check(path), token)));
    } catch (OutpostException e) {
      if (e.code() != ErrorCode.FENCED) {
        throw e;
      }
    }
  }

  /**
   * The live leases overlapping {@code path} (on it, below it, subtree leases above it; "/" = all), in token
   * order, and whether they can be verified: a branch proxy cut off from the origin lists the leases of its own
   * clients as it last knew them, unverifiable since it lost the link.
   */
  public LeaseListing leases(String path) {
    VolumePath.check(path);
    List<LeaseInfo> out = new ArrayList<>();
    long staleSince = 0;
    long after = 0;
    while (true) {
      Reply r = call(path, new LeaseList(path, after, LeaseList.MAX_ENTRIES));
      if (!(r instanceof Leases page)) {
        throw unexpected(r, "LEASES");
      }
      out.addAll(page.leases());
      if (page.staleSinceMillis() != 0 && (staleSince == 0 || page.staleSinceMillis() < staleSince)) {
        staleSince = page.staleSinceMillis();
      }
      if (!page.more() || page.leases().isEmpty()) {
        return new LeaseListing(path, out, staleSince == 0 ? Optional.empty()
            : Optional.of(java.time.Instant.ofEpochMilli(staleSince)));
      }
      after = page.leases().getLast().token();
    }
  }

  static long ttlMillis(Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "lease ttl must be positive, not " + ttl);
    }
    return Math.max(1, ttl.toMillis());
  }

  /** Runs on the event loop: a recall is handed to its lease (whose listeners run on the recall thread). */
  private void onPush(Reply reply) {
    if (reply instanceof LeaseRecall recall) {
      Lease lease = leases.get(recall.token());
      if (lease != null) {
        lease.recall();
      } else {
        log.debug("recall of a lease this client no longer holds: {} token {}", recall.path(), recall.token());
      }
      return;
    }
    log.debug("unexpected push {}", reply.getClass().getSimpleName());
    ReferenceCountUtil.release(reply);
  }

  // ---------------------------------------------------------------- changes

  /**
   * Follows the change journal under {@code prefix} from after {@code fromSeq} (use
   * {@code welcome().journalSeq()} for "from now"). The watch survives reconnections: it subscribes again from
   * its last event (see {@link Watch}). Close the returned watch to stop.
   */
  public Watch watch(String prefix, long fromSeq, ChangeListener listener) {
    Subscribe checked = new Subscribe(fromSeq, VolumePath.check(prefix)); // bad arguments fail here, not later
    Watch w = new Watch(link, listener, checked.fromSeq(), checked.prefix(), config.connectTimeout().toMillis());
    w.start();
    return w;
  }

  /**
   * Fails every call now waiting for the server — for an answer, or for a connection — with UNAVAILABLE
   * {@code why}, so the threads blocked in them return at once: reads, listings, uploads and commits in progress
   * fail, and watches end ({@link ChangeListener#onError}). The client stays usable: later calls go out as usual.
   * For one who cannot wait any longer, such as a mount being stopped while the server does not answer.
   *
   * <p><b>Warning:</b> a change already sent may still be applied by the server; look before retrying it.
   */
  public void cancelCalls(String why) {
    link.cancelCalls(why);
  }

  /** Stops reconnecting, closes the connection, fails calls waiting for it and destroys the key material. */
  @Override
  public void close() {
    link.removeOnUp(receivePushes);
    for (Lease l : leases.values()) {
      l.stop();
    }
    leaseRenewals.shutdownNow();
    link.close();
    leaseEvents.shutdownNow();
    // Block opens still queued hold network buffers: release them rather than leave them to the GC.
    for (Runnable queued : workers.shutdownNow()) {
      if (queued instanceof BlockFetcher.Discardable d) {
        d.discard();
      }
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    sealer.destroy();
    volumeKey.destroy();
  }

  // ---------------------------------------------------------------- plumbing

  /** Sends a namespace request and waits; errors get the path and a one-line message. */
  private Reply call(String path, Request request) {
    CompletableFuture<Reply> f = calls.call(request);
    try {
      return Futures.join(f);
    } catch (ConflictException e) {
      throw e;
    } catch (OutpostException e) {
      throw withPath(path, e);
    }
  }

  static OutpostException withPath(String path, OutpostException e) {
    String msg = e.getMessage() == null ? "" : e.getMessage();
    return switch (e.code()) {
      // The server's message adds something only when it names another path (a missing parent, a snapshot).
      case NOT_FOUND -> new OutpostException(ErrorCode.NOT_FOUND, msg.isEmpty() || msg.contains(path)
          ? "no such file: " + path : "no such file: " + path + " (" + msg + ")", e);
      case ALREADY_EXISTS -> new OutpostException(e.code(), "already exists: " + path, e);
      case NOT_A_DIRECTORY -> new OutpostException(e.code(), msg.contains(path) ? msg : "not a directory: " + path + " (" + msg + ")", e);
      case IS_A_DIRECTORY -> new OutpostException(e.code(), "is a directory: " + path, e);
      case DIRECTORY_NOT_EMPTY -> new OutpostException(e.code(), "directory not empty: " + path, e);
      default -> msg.contains(path) ? e : new OutpostException(e.code(), path + ": " + msg, e);
    };
  }

  private static FileAttr attrOf(String path, Reply r) {
    if (r instanceof AttrReply a) {
      return a.attr();
    }
    throw unexpected(r, "ATTR");
  }

  private static void release(Reply r) {
    ReferenceCountUtil.release(r);
  }

  /** A reply of the wrong kind: released, and reported as the protocol violation it is. */
  static OutpostException unexpected(Reply r, String expected) {
    ReferenceCountUtil.release(r);
    return new OutpostException(ErrorCode.PROTOCOL_VIOLATION, "expected " + expected + ", got " + r.getClass().getSimpleName());
  }
}
