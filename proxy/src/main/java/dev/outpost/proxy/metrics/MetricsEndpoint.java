package dev.outpost.proxy.metrics;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.json.MetricsModule;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP listener serving the registry as JSON at {@code GET /metrics} (metrics-json's MetricsModule),
 * for scrapers and humans. One thread: a metrics scrape is rare and cheap.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Listens on {@code bind}.
   *
   * @throws OutpostException UNAVAILABLE if the address cannot be bound
   */
  public static MetricsEndpoint start(InetSocketAddress bind, MetricRegistry registry) {
    ObjectWriter writer = new ObjectMapper()
        .registerModule(new MetricsModule(TimeUnit.SECONDS, TimeUnit.MILLISECONDS, false))
        .writerWithDefaultPrettyPrinter();
    HttpServer server;
    try {
      server = HttpServer.create(bind, 16);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, "cannot listen for metrics on " + bind + ": " + e.getMessage(), e);
    }
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "proxy-metrics-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/metrics", exchange -> serve(exchange, writer, registry));
    server.start();
    return new MetricsEndpoint(server, executor);
  }

  private static void serve(HttpExchange exchange, ObjectWriter writer, MetricRegistry registry) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body;
      try {
        body = writer.writeValueAsBytes(registry);
      } catch (IOException | RuntimeException e) {
        log.warn("cannot render metrics", e);
        exchange.sendResponseHeaders(500, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
