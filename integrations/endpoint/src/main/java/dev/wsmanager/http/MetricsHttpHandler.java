package dev.wsmanager.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.wsmanager.http.MetricsEndpoint.Response;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts a {@link MetricsEndpoint} on the JDK's {@link com.sun.net.httpserver.HttpServer}.
 *
 * <pre>{@code
 * HttpServer server = HttpServer.create(new InetSocketAddress(3000), 0);
 * server.createContext("/api/ws/metrics", new MetricsHttpHandler(endpoint));
 * server.setExecutor(boundedExecutor);
 * server.start();
 * }</pre>
 *
 * <p>Answers only its context's exact path: {@code /api/ws/metrics/foo} is a 404. A {@code GET} or
 * {@code HEAD} with a request body is a 413; a request with two {@code Authorization} headers is a
 * 400.
 */
public final class MetricsHttpHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(MetricsHttpHandler.class);

  private final MetricsEndpoint endpoint;

  /**
   * An adapter for {@code endpoint}.
   *
   * @param endpoint the endpoint to delegate to
   */
  public MetricsHttpHandler(MetricsEndpoint endpoint) {
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      boolean head = "HEAD".equals(exchange.getRequestMethod());
      send(exchange, respond(exchange).withoutBodyIf(head));
    } catch (IOException e) {
      log.debug("could not send a metrics response; the client probably went away", e);
    } finally {
      exchange.close();
    }
  }

  private Response respond(HttpExchange exchange) {
    if (!exchange.getRequestURI().getRawPath().equals(exchange.getHttpContext().getPath())) {
      return Response.text(404, "not found");
    }
    Headers headers = exchange.getRequestHeaders();
    String method = exchange.getRequestMethod();
    if ((method.equals("GET") || method.equals("HEAD")) && hasBody(headers)) {
      return Response.text(413, "a request body is not allowed");
    }
    List<String> authorization = headers.get("Authorization");
    if (authorization != null && authorization.size() > 1) {
      return Response.text(400, "more than one Authorization header");
    }
    List<String> accept = headers.get("Accept");
    return endpoint.handle(
        method,
        exchange.getRequestURI().getRawQuery(),
        accept == null ? null : String.join(", ", accept),
        authorization == null ? null : authorization.get(0));
  }

  private static boolean hasBody(Headers headers) {
    if (headers.containsKey("Transfer-Encoding")) {
      return true;
    }
    String length = headers.getFirst("Content-Length");
    return length != null && !length.trim().equals("0");
  }

  private static void send(HttpExchange exchange, Response response) throws IOException {
    Headers out = exchange.getResponseHeaders();
    response.headers().forEach(out::set);
    if (response.bodyLength() == 0) {
      exchange.sendResponseHeaders(response.status(), -1);
      return;
    }
    exchange.sendResponseHeaders(response.status(), response.bodyLength());
    try (OutputStream body = exchange.getResponseBody()) {
      response.writeBody(body);
    }
  }
}
