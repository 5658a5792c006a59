package dev.outpost.origin.cli;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.transport.Errors;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.Tls;
import dev.outpost.transport.Transports;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Option;

/** How a command reaches a running origin: address, token and TLS files. */
final class ServerOptions {
  static final long CALL_TIMEOUT_SECONDS = 60;

  @Option(names = "--server", defaultValue = "127.0.0.1:7070", description = "the origin, host:port (default ${DEFAULT-VALUE})")
  String server;

  @Option(names = "--token", description = "an access token (prefer --token-file: arguments show in ps)")
  String token;

  @Option(names = "--token-file", description = "a file holding the access token")
  Path tokenFile;

  @Option(names = "--data", description = "the origin's data directory: use its CA and proxy client certificate for TLS")
  Path data;

  @Option(names = "--ca", description = "CA certificate (PEM) to trust; enables TLS")
  Path ca;

  @Option(names = "--cert", description = "client certificate chain (PEM) for mutual TLS")
  Path cert;

  @Option(names = "--key", description = "client key (PEM) for mutual TLS")
  Path key;

  @Option(names = "--json", description = "print JSON for scripts")
  boolean json;

  /** A connected client; close it and the group afterwards. */
  record Connection(EventLoopGroup group, RpcClient client) implements AutoCloseable {
    <T> T call(dev.outpost.protocol.Request request, Class<T> expected) {
      try {
        var reply = client.call(request).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!expected.isInstance(reply)) {
          throw new OutpostException(ErrorCode.PROTOCOL_VIOLATION,
              "origin answered " + reply.getClass().getSimpleName() + ", expected " + expected.getSimpleName());
        }
        return expected.cast(reply);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OutpostException(ErrorCode.UNAVAILABLE, "interrupted", e);
      } catch (TimeoutException e) {
        throw new OutpostException(ErrorCode.UNAVAILABLE, "no answer from the origin within " + CALL_TIMEOUT_SECONDS + " s", e);
      } catch (ExecutionException e) {
        throw Errors.unwrap(e);
      }
    }

    @Override
    public void close() {
      client.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  Connection connect(Io io) {
    InetSocketAddress address = parseAddress(server);
    RpcClient.Options options = RpcClient.Options.plain(OriginMain.PROGRAM, readToken(io));
    Optional<Path> caFile = Optional.ofNullable(ca).or(() -> Optional.ofNullable(data).map(d -> new OriginDataDir(io.workDir().resolve(d)).caCert()));
    if (caFile.isPresent()) {
      Optional<Tls.KeyMaterial> own = Optional.empty();
      if (cert != null && key != null) {
        own = Optional.of(new Tls.KeyMaterial(caFile.get(), io.workDir().resolve(cert), io.workDir().resolve(key)));
      } else if (data != null) {
        OriginDataDir dir = new OriginDataDir(io.workDir().resolve(data));
        own = Optional.of(new Tls.KeyMaterial(dir.caCert(), dir.proxyCert(), dir.proxyKey()));
      }
      options = options.withTls(Tls.client(io.workDir().resolve(caFile.get()), own));
    }
    EventLoopGroup group = Transports.newGroup("origin-cli", 1);
    try {
      return new Connection(group, RpcClient.connect(group, address, options));
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  private String readToken(Io io) {
    if (token != null) {
      return token;
    }
    if (tokenFile == null) {
      throw new OutpostException(ErrorCode.UNAUTHORIZED, "give --token-file FILE (or --token TOKEN)");
    }
    try {
      if (Files.size(io.workDir().resolve(tokenFile)) > 4096) {
        throw new OutpostException(ErrorCode.INVALID_ARGUMENT, tokenFile + " is too large to be a token");
      }
      return Files.readString(io.workDir().resolve(tokenFile)).strip();
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.NOT_FOUND, "cannot read token file " + tokenFile + ": " + e.getMessage(), e);
    }
  }

  static InetSocketAddress parseAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "--server " + hostPort + ": expected host:port");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "--server " + hostPort + ": port is not a number");
    }
    if (port < 1 || port > 65535) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "--server " + hostPort + ": port " + port + " is outside 1..65535");
    }
    return new InetSocketAddress(host, port);
  }
}
