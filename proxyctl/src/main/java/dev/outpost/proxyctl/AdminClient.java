package dev.outpost.proxyctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;

/**
 * Talks to the proxy's admin API: JSON over HTTP with the bearer token. Every failure becomes one
 * {@link ProxyCtlException} line: proxy unreachable, token refused, or the API's own error message.
 */
final class AdminClient {
  private final String hostPort;
  private final String token;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();
  private final Duration timeout;

  AdminClient(String hostPort, String token, Duration timeout) {
    this.hostPort = hostPort;
    this.token = token;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  JsonNode get(String path) {
    return send("GET", path, null);
  }

  JsonNode post(String path, Object body) {
    return send("POST", path, body);
  }

  private JsonNode send(String method, String path, Object body) {
    HttpResponse<String> r;
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + hostPort + path))
          .timeout(timeout)
          .header("Authorization", "Bearer " + token)
          .header("Accept", "application/json");
      if (body != null) {
        b.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
      } else {
        b.method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("{}")
            : HttpRequest.BodyPublishers.noBody());
      }
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProxyCtlException("interrupted");
    } catch (IOException e) {
      throw unreachable(e);
    } catch (IllegalArgumentException e) {
      throw new ProxyCtlException("bad admin address '" + hostPort + "': " + e.getMessage());
    }
    JsonNode node;
    try {
      node = r.body().isEmpty() ? json.createObjectNode() : json.readTree(r.body());
    } catch (IOException e) {
      throw new ProxyCtlException("the admin API at " + hostPort + " answered " + r.statusCode()
          + " with something that is not JSON (is it the proxy's admin port?)");
    }
    if (r.statusCode() == 401) {
      throw new ProxyCtlException("the proxy at " + hostPort + " refused the admin token (check --token-file: "
          + "the proxy's admin.tokenFile)");
    }
    if (r.statusCode() / 100 != 2) {
      String msg = node.hasNonNull("error") ? node.get("error").asText() : "HTTP " + r.statusCode();
      throw new ProxyCtlException(msg);
    }
    return node;
  }

  private ProxyCtlException unreachable(IOException e) {
    Throwable t = e;
    while (t.getCause() != null && !(t instanceof ConnectException)) {
      t = t.getCause();
    }
    String why;
    if (t instanceof HttpConnectTimeoutException) {
      why = "connection timed out";
    } else if (t instanceof ConnectException) {
      why = t.getMessage() == null || t.getMessage().isBlank() ? "connection refused"
          : t.getMessage().toLowerCase(Locale.ROOT);
    } else {
      why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    return new ProxyCtlException("cannot reach the proxy admin API at " + hostPort + ": " + why);
  }
}
