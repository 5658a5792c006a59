package dev.outpost.origin.cli;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken;
import dev.outpost.crypto.CertificateAuthority;
import dev.outpost.crypto.PemFiles;
import dev.outpost.crypto.TokenSigner;
import dev.outpost.crypto.VolumeKey;
import dev.outpost.crypto.VolumeKeyFile;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.config.OriginConfigLoader;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.origin.server.VolumeStore;
import dev.outpost.origin.volume.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init", mixinStandardHelpOptions = true,
    description = {"Creates a volume in a new data directory, with the origin's token signing key and TLS "
        + "material (a CA, a server certificate for 127.0.0.1/localhost and a client certificate for proxies).",
        "The VOLUME KEY is written outside the data directory: it belongs to clients only; the origin never keeps it."},
    footer = {"", "Example:", "  outpost-origin init --data /var/lib/outpost/origin --volume projects --key-out ~/projects.volume-key"})
final class InitCommand implements Callable<Integer> {
  static final Duration ADMIN_TOKEN_TTL = Duration.ofDays(365);
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  static final Duration CERT_VALIDITY = Duration.ofDays(825);

  private final Io io;

  @Option(names = "--data", required = true, description = "the new data directory (created; must be empty)")
  Path data;

  @Option(names = "--volume", required = true, description = "the volume's name")
  String volume;

  @Option(names = "--key-out", description = "where the volume key goes (default ./NAME.volume-key)")
  Path keyOut;

  @Option(names = "--token-out", description = "where an admin token goes (default ./NAME.admin-token)")
  Path tokenOut;

  InitCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException {
    Path dataDir = io.workDir().resolve(data).toAbsolutePath().normalize();
    OriginDataDir dir = new OriginDataDir(dataDir);
    Path key = io.workDir().resolve(keyOut != null ? keyOut : Path.of(volume + ".volume-key")).toAbsolutePath().normalize();
    Path token = io.workDir().resolve(tokenOut != null ? tokenOut : Path.of(volume + ".admin-token")).toAbsolutePath().normalize();
    if (key.startsWith(dataDir)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT,
          "--key-out " + key + " lies inside the data directory; the origin must never hold the volume key");
    }
    for (Path p : List.of(key, token)) {
      if (Files.exists(p)) {
        throw new OutpostException(ErrorCode.ALREADY_EXISTS, p + " exists; refusing to overwrite it");
      }
    }
    if (Files.exists(dataDir)) {
      try (var entries = Files.list(dataDir)) {
        if (entries.findAny().isPresent()) {
          throw new OutpostException(ErrorCode.ALREADY_EXISTS, dataDir + " is not empty; init needs a new directory");
        }
      }
    }
    Files.createDirectories(dir.tls());
    Instant now = io.clock().instant();
    Path configFile = dataDir.resolve("origin.yaml");
    Files.writeString(configFile, "# Written by outpost-origin init; see conf/origin.yaml for every key.\n"
        + "dataDir: " + yamlQuote(dataDir.toString()) + "\n"
        + "listen:\n  host: 127.0.0.1\n  port: 7070\n");
    OriginConfig config = OriginConfigLoader.load(configFile);

    byte[] volumeId;
    try (Volume v = VolumeStore.create(config, volume, io.random(), io.clock())) {
      volumeId = v.identity().volumeId();
    }
    Files.writeString(dir.volumeNameFile(), volume + "\n");

    KeyPair signing = TokenSigner.generateKeyPair(io.random());
    PemFiles.writePrivateKey(dir.signingKey(), signing.getPrivate());
    PemFiles.writePublicKey(dir.signingPublicKey(), signing.getPublic());

    CertificateAuthority ca = CertificateAuthority.create("Outpost CA (" + volume + ")", CA_VALIDITY, io.clock(), io.random());
    ca.save(dir.caCert(), dir.caKey());
    ca.issue("outpost-origin", List.of("127.0.0.1", "localhost"), true, false, CERT_VALIDITY)
        .writePem(dir.serverCert(), dir.serverKey());
    ca.issue("outpost-proxy", List.of("outpost-proxy"), false, true, CERT_VALIDITY)
        .writePem(dir.proxyCert(), dir.proxyKey());

    VolumeKey volumeKey = VolumeKey.generate(volumeId, io.random());
    try {
      Files.createDirectories(key.toAbsolutePath().getParent());
      new VolumeKeyFile(volume, volumeKey).write(key);
    } finally {
      volumeKey.destroy();
    }

    String admin = new TokenSigner(signing.getPrivate())
        .sign(new AccessToken(volume, AccessToken.Mode.ADMIN, "admin", now, now.plus(ADMIN_TOKEN_TTL)));
    Files.createDirectories(token.toAbsolutePath().getParent());
    SecretFiles.write(token, admin + "\n");

    io.out().println("volume " + volume + " created in " + dataDir);
    io.out().println("  config:           " + configFile);
    io.out().println("  token signing:    " + dir.signingKey() + " (public: " + dir.signingPublicKey() + ")");
    io.out().println("  TLS CA:           " + dir.caCert());
    io.out().println("  server cert:      " + dir.serverCert() + " (127.0.0.1, localhost)");
    io.out().println("  proxy client cert:" + " " + dir.proxyCert() + ", key " + dir.proxyKey());
    io.out().println("  volume key:       " + key);
    io.out().println("  admin token:      " + token + " (valid " + ADMIN_TOKEN_TTL.toDays() + " days)");
    io.err().println("WARNING: " + key + " is the volume key. It belongs to clients only: copy it to them and "
        + "keep it off the origin and proxies. Whoever holds it can read every file; without it nobody can.");
    return 0;
  }

  static String yamlQuote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
