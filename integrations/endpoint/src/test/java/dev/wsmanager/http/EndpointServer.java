package dev.wsmanager.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A {@link MetricsServer} on loopback serving an endpoint at {@code /api/ws/metrics}, and a client.
 */
final class EndpointServer implements AutoCloseable {
  static final String PATH = "/api/ws/metrics";
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final MetricsServer server;

  EndpointServer(MetricsEndpoint endpoint) {
    this(MetricsServer.builder(endpoint));
  }

  EndpointServer(MetricsServer.Builder builder) {
    try {
      server = builder.host("127.0.0.1").port(0).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return server.port();
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
  }

  HttpResponse<byte[]> get(String query, String... headers) {
    return send("GET", PATH + (query == null ? "" : "?" + query), BodyPublishers.noBody(), headers);
  }

  HttpResponse<byte[]> head(String... headers) {
    return send("HEAD", PATH, BodyPublishers.noBody(), headers);
  }

  HttpResponse<byte[]> send(
      String method, String pathAndQuery, BodyPublisher body, String... headers) {
    return send(method, pathAndQuery, body, Duration.ofSeconds(10), headers);
  }

  /** A request that fails unless the whole response arrives within {@code timeout}. */
  HttpResponse<byte[]> send(
      String method, String pathAndQuery, BodyPublisher body, Duration timeout, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(pathAndQuery)).timeout(timeout).method(method, body);
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    try {
      return CLIENT.send(request.build(), BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Sends {@code request} as written (for requests a well-behaved client refuses to send) and
   * returns everything the server answers before it closes the connection.
   */
  String raw(String request) {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
