package dev.outpost.observability;

import com.codahale.metrics.MetricRegistry;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP listener for scrapers: {@code GET /metrics} is Prometheus text, {@code GET /metrics.json} the
 * registry as JSON. One thread: a scrape is rare and cheap.
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
   * Listens on {@code bind}; {@code threadName} names the serving thread in dumps.
   *
   * @throws OutpostException UNAVAILABLE if the address cannot be bound
   */
  public static MetricsEndpoint start(InetSocketAddress bind, MetricRegistry registry, String threadName) {
    MetricsExposition exposition = new MetricsExposition(registry);
    HttpServer server;
    try {
      server = HttpServer.create(bind, 16);
    } catch (IOException e) {
      throw new OutpostException(ErrorCode.UNAVAILABLE, "cannot listen for metrics on " + bind + ": " + e.getMessage(), e);
    }
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/metrics", exchange -> {
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/metrics")) {
        serve(exchange, MetricsExposition.PROMETHEUS_CONTENT_TYPE, exposition::prometheusText);
      } else if (path.equals("/metrics.json")) {
        serve(exchange, MetricsExposition.JSON_CONTENT_TYPE, exposition::json);
      } else {
        try (exchange) {
          exchange.sendResponseHeaders(404, -1);
        }
      }
    });
    server.start();
    return new MetricsEndpoint(server, executor);
  }

  private static void serve(HttpExchange exchange, String contentType, Supplier<byte[]> render) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body;
      try {
        body = render.get();
      } catch (RuntimeException e) {
        log.warn("cannot render metrics", e);
        exchange.sendResponseHeaders(500, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", contentType);
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
