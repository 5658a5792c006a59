package dev.outpost.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Where to connect and with which secrets: flags, falling back to the config file (YAML or properties). Shared
 * by every subcommand as a picocli mixin.
 */
public final class ClientOptions {
  static final Set<String> KEYS = Set.of("server", "token", "tokenFile", "keyFile", "tlsCa", "tlsCert", "tlsKey",
      "parallelism", "readAheadBytes", "connectTimeoutMillis", "reconnectInitialMillis", "reconnectMaxMillis",
      "heartbeatIntervalMillis", "heartbeatTimeoutMillis");
  /** How long a command waits to (re)connect before it fails UNAVAILABLE, unless the config file says otherwise. */
  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  @Option(names = "--config", paramLabel = "FILE",
      description = "Client settings (YAML, or .properties). Default: ~/.config/outpost/client.yaml if present.")
  Path configFile;

  @Option(names = "--server", paramLabel = "HOST:PORT", description = "Origin or branch proxy to talk to.")
  String server;

  @Option(names = "--token", paramLabel = "TOKEN", description = "Access token (prefer --token-file).")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the access token.")
  Path tokenFile;

  @Option(names = "--key-file", paramLabel = "FILE", description = "The volume key file.")
  Path keyFile;

  @Option(names = "--tls-ca", paramLabel = "PEM", description = "CA certificate to trust; enables TLS.")
  Path tlsCa;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Client certificate, for servers that require one.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "The client certificate's PKCS#8 key.")
  Path tlsKey;

  @Option(names = {"-j", "--parallelism"}, paramLabel = "N", description = "Worker threads and files in flight.")
  Integer parallelism;

  @Option(names = "--read-ahead", paramLabel = "BYTES", description = "Read-ahead window in bytes (default 8 MiB).")
  Long readAheadBytes;

  /** The effective settings; a missing or malformed setting is a usage error (exit 2). */
  ClientConfig config(CommandLine cl) {
    Map<String, String> file = loadFile(cl);
    String srv = first(server, file.get("server"));
    if (srv == null) {
      throw new CommandLine.ParameterException(cl,
          "no server given: use --server HOST:PORT or 'server' in the config file");
    }
    String tok = token;
    if (tok == null) {
      Path tf = tokenFile != null ? tokenFile : Optional.ofNullable(file.get("tokenFile")).map(Path::of).orElse(null);
      if (tf != null) {
        try {
          tok = Files.readString(tf, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
          throw new CommandLine.ParameterException(cl, "cannot read token file " + tf + ": " + e.getMessage());
        }
      } else {
        tok = file.get("token");
      }
    }
    if (tok == null || tok.isEmpty()) {
      throw new CommandLine.ParameterException(cl, "no token given: use --token-file FILE, --token or 'token' in the config file");
    }
    Path key = keyFile != null ? keyFile : Optional.ofNullable(file.get("keyFile")).map(Path::of).orElse(null);
    if (key == null) {
      throw new CommandLine.ParameterException(cl, "no volume key given: use --key-file FILE or 'keyFile' in the config file");
    }
    try {
      ClientConfig c = ClientConfig.of(srv, tok, key);
      Path ca = tlsCa != null ? tlsCa : Optional.ofNullable(file.get("tlsCa")).map(Path::of).orElse(null);
      if (ca != null) {
        c = c.withTlsCa(ca);
      }
      Path cert = tlsCert != null ? tlsCert : Optional.ofNullable(file.get("tlsCert")).map(Path::of).orElse(null);
      Path certKey = tlsKey != null ? tlsKey : Optional.ofNullable(file.get("tlsKey")).map(Path::of).orElse(null);
      if (cert != null || certKey != null) {
        if (cert == null || certKey == null) {
          throw new CommandLine.ParameterException(cl, "a client certificate needs both --tls-cert and --tls-key");
        }
        c = c.withTlsClientCert(cert, certKey);
      }
      String par = parallelism != null ? parallelism.toString() : file.get("parallelism");
      if (par != null) {
        c = c.withParallelism(parseInt(cl, "parallelism", par));
      }
      String ra = readAheadBytes != null ? readAheadBytes.toString() : file.get("readAheadBytes");
      if (ra != null) {
        c = c.withReadAheadBytes(parseLong(cl, "readAheadBytes", ra));
      }
      String ct = file.get("connectTimeoutMillis");
      c = c.withConnectTimeout(ct != null ? Duration.ofMillis(parseLong(cl, "connectTimeoutMillis", ct))
          : DEFAULT_CONNECT_TIMEOUT);
      // Backoff between reconnection attempts (a mount outlives proxy restarts); either bound may be given alone.
      String ri = file.get("reconnectInitialMillis");
      String rm = file.get("reconnectMaxMillis");
      if (ri != null || rm != null) {
        long initial = ri != null ? parseLong(cl, "reconnectInitialMillis", ri) : c.reconnect().initialMillis();
        long max = rm != null ? parseLong(cl, "reconnectMaxMillis", rm) : Math.max(initial, c.reconnect().maxMillis());
        c = c.withReconnect(new ClientConfig.Reconnect(initial, max));
      }
      // How a server that vanished without closing the connection is noticed; a lone interval keeps the
      // default ratio of timeout to interval (3).
      String hi = file.get("heartbeatIntervalMillis");
      String ht = file.get("heartbeatTimeoutMillis");
      if (hi != null || ht != null) {
        long interval = hi != null ? parseLong(cl, "heartbeatIntervalMillis", hi) : c.heartbeat().intervalMillis();
        long timeout = ht != null ? parseLong(cl, "heartbeatTimeoutMillis", ht)
            : Math.max(c.heartbeat().timeoutMillis(), 3 * interval);
        c = c.withHeartbeat(new ClientConfig.Heartbeat(interval, timeout));
      }
      return c;
    } catch (OutpostException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
  }

  /** Connects with the effective settings. */
  OutpostClient connect(CommandLine cl) {
    return OutpostClient.connect(config(cl));
  }

  private Map<String, String> loadFile(CommandLine cl) {
    Path f = configFile;
    if (f == null) {
      Path dflt = Path.of(System.getProperty("user.home"), ".config", "outpost", "client.yaml");
      if (!Files.isRegularFile(dflt)) {
        return Map.of();
      }
      f = dflt;
    }
    Map<String, String> out = new HashMap<>();
    try (InputStream in = Files.newInputStream(f)) {
      if (f.getFileName().toString().endsWith(".properties")) {
        Properties p = new Properties();
        p.load(in);
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).strip()));
      } else {
        Object tree = new ObjectMapper(new YAMLFactory()).readValue(in, Object.class);
        if (tree == null) {
          return Map.of();
        }
        if (!(tree instanceof Map<?, ?> m)) {
          throw new CommandLine.ParameterException(cl, "config file " + f + ": expected 'key: value' lines");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
          Object v = e.getValue();
          if (v instanceof Map<?, ?> || v instanceof java.util.List<?>) {
            throw new CommandLine.ParameterException(cl, "config file " + f + ": '" + e.getKey() + "' must be a single value");
          }
          if (v != null) {
            out.put(String.valueOf(e.getKey()), String.valueOf(v));
          }
        }
      }
    } catch (IOException e) {
      throw new CommandLine.ParameterException(cl, "cannot read config file " + f + ": " + firstLine(e.getMessage()));
    }
    for (String k : out.keySet()) {
      if (!KEYS.contains(k)) {
        throw new CommandLine.ParameterException(cl, "config file " + f + ": unknown setting '" + k + "' (known: "
            + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
      }
    }
    return out;
  }

  private static String first(String a, String b) {
    return a != null ? a : b;
  }

  private static int parseInt(CommandLine cl, String key, String v) {
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(cl, key + ": '" + v + "' is not a number");
    }
  }

  private static long parseLong(CommandLine cl, String key, String v) {
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(cl, key + ": '" + v + "' is not a number");
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
