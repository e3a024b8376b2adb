package dev.wsmanager.http;

import dev.wsmanager.WsManager;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers requests for a manager's metrics, whatever the HTTP stack: give it the request's method,
 * raw query string and a way to read its headers; copy the {@link Response}'s status, headers and
 * body back. Mount it at {@code /api/ws/metrics}. {@link MetricsServer} serves it on its own port;
 * {@code docs/endpoint.md} shows Spring MVC and servlet containers.
 *
 * <ul>
 *   <li>{@code GET}: the registry in Prometheus text format 0.0.4 by default, OpenMetrics when the
 *       {@code Accept} header prefers it (as Prometheus does), JSON when {@code Accept} prefers
 *       {@code application/json}. {@code ?format=prometheus} and {@code ?format=json} override the
 *       header; any other {@code format} is a 400. The text formats honour {@code name[]} filters
 *       and are gzip-compressed when {@code Accept-Encoding} lists {@code gzip}. The JSON lists at
 *       most {@value #DEFAULT_STREAM_LIMIT} streams unless {@code limit} asks for more (up to
 *       {@value #MAX_STREAM_LIMIT}); {@code offset} pages on; {@code streams=false} leaves them
 *       out.
 *   <li>{@code HEAD}: 200 with no body while every manager is running and the health policy says
 *       healthy, 503 otherwise. A liveness or readiness probe.
 *   <li>Any other method: 405 with {@code Allow: GET, HEAD}.
 *   <li>With a bearer token, {@code GET} (and {@code HEAD} if so configured) without it is a 401
 *       with {@code WWW-Authenticate}.
 * </ul>
 *
 * <p>Error bodies are one line of plain text and never carry a stack trace; an unexpected exception
 * is logged and answered with a 500. Thread-safe.
 *
 * <pre>{@code
 * MetricsEndpoint endpoint = MetricsEndpoint.builder()
 *     .manager(manager)
 *     .registry(registry)
 *     .bearerToken(token)
 *     .build();
 * MetricsEndpoint.Response response =
 *     endpoint.handle(request.getMethod(), request.getQueryString(),
 *         name -> Collections.list(request.getHeaders(name)));
 * }</pre>
 */
public final class MetricsEndpoint {
  private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

  /** The path the endpoint is served at by convention. */
  public static final String PATH = "/api/ws/metrics";

  /** The longest raw query string accepted; longer ones get a 414. */
  static final int MAX_QUERY_LENGTH = 2048;

  /** The longest {@code Accept} or {@code Authorization} value accepted; longer ones get a 431. */
  static final int MAX_HEADER_LENGTH = 4096;

  /** How many streams the JSON lists without a {@code limit} parameter. */
  static final int DEFAULT_STREAM_LIMIT = 100;

  /** The largest {@code limit} accepted. */
  static final int MAX_STREAM_LIMIT = 1000;

  static final String ALLOW = "GET, HEAD";
  static final String PLAIN_TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";
  static final String WWW_AUTHENTICATE = "Bearer realm=\"ws-manager\"";

  private final List<WsManager> managers;
  private final BearerToken token;
  private final boolean headRequiresToken;
  private final Predicate<? super WsManager> healthPolicy;
  private final TextScrape text;
  private final InstantSource clock;

  private MetricsEndpoint(Builder b, InstantSource clock) {
    this.managers = List.copyOf(b.managers);
    this.token = b.token;
    this.headRequiresToken = b.headRequiresToken;
    this.healthPolicy = b.healthPolicy;
    this.text =
        new TextScrape(b.registry != null ? b.registry : b.managers.get(0).registry(), PATH);
    this.clock = clock;
  }

  /**
   * A builder; at least one manager is required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A request's headers, as the HTTP stack holds them: every value of a header, looked up ignoring
   * case. For a servlet request: {@code name -> Collections.list(request.getHeaders(name))}.
   */
  @FunctionalInterface
  public interface Headers {
    /**
     * Every value of one header, in the order received.
     *
     * @param name a header name, such as {@code Accept}; look it up ignoring case
     * @return the values; empty (or {@code null}) when the header is absent
     */
    List<String> values(String name);
  }

  /**
   * Answers one request; the entry point for any HTTP stack. Never throws for anything the client
   * sends.
   *
   * <p>Beyond {@link #handle(String, String, String, String)}: a {@code GET} or {@code HEAD} with a
   * body ({@code Content-Length} other than 0, or {@code Transfer-Encoding}) is a 413, two {@code
   * Authorization} headers are a 400, several {@code Accept} headers are read as one, and {@code
   * Accept-Encoding: gzip} compresses the text formats.
   *
   * @param method the request method, such as {@code GET}; case-sensitive, as in HTTP
   * @param rawQuery the query string as sent (still percent-encoded, without {@code ?}), or {@code
   *     null}
   * @param headers the request's headers
   * @return the response to send
   */
  public Response handle(String method, String rawQuery, Headers headers) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(headers, "headers");
    if ((method.equals("GET") || method.equals("HEAD")) && hasBody(headers)) {
      return Response.text(413, "a request body is not allowed")
          .withoutBodyIf(method.equals("HEAD"));
    }
    List<String> authorization = values(headers, "Authorization");
    if (authorization.size() > 1) {
      return Response.text(400, "more than one Authorization header")
          .withoutBodyIf(method.equals("HEAD"));
    }
    List<String> accept = values(headers, "Accept");
    return respond(
        method,
        rawQuery,
        accept.isEmpty() ? null : String.join(", ", accept),
        authorization.isEmpty() ? null : authorization.get(0),
        values(headers, "Accept-Encoding"));
  }

  /**
   * Answers one request from its four relevant parts. Never throws for anything the client sends.
   * Responses are never compressed; {@link #handle(String, String, Headers)} also reads {@code
   * Accept-Encoding} and checks for a request body.
   *
   * @param method the request method, such as {@code GET}; case-sensitive, as in HTTP
   * @param rawQuery the query string as sent (still percent-encoded, without {@code ?}), or {@code
   *     null}
   * @param accept the {@code Accept} header, or {@code null}; several headers joined with {@code ",
   *     "}
   * @param authorization the {@code Authorization} header, or {@code null}
   * @return the response to send
   */
  public Response handle(String method, String rawQuery, String accept, String authorization) {
    Objects.requireNonNull(method, "method");
    return respond(method, rawQuery, accept, authorization, List.of());
  }

  private Response respond(
      String method,
      String rawQuery,
      String accept,
      String authorization,
      List<String> acceptEncoding) {
    boolean head = method.equals("HEAD");
    if (!head && !method.equals("GET")) {
      return Response.text(405, "method " + Text.oneLine(method) + " not allowed; use GET or HEAD")
          .with("Allow", ALLOW);
    }
    if (exceeds(accept) || exceeds(authorization)) {
      return Response.text(
              431, "request header too large; at most " + MAX_HEADER_LENGTH + " characters")
          .withoutBodyIf(head);
    }
    if ((!head || headRequiresToken) && token != null && !token.matches(authorization)) {
      return Response.text(401, "unauthorized; send the header Authorization: Bearer <token>")
          .with("WWW-Authenticate", WWW_AUTHENTICATE)
          .withoutBodyIf(head);
    }
    if (head) {
      return Response.empty(isHealthy() ? 200 : 503);
    }
    try {
      return get(rawQuery, accept, acceptEncoding);
    } catch (RuntimeException | IOException e) {
      log.error("could not answer a metrics request", e);
      return Response.text(500, "internal error while collecting metrics; see the server log");
    }
  }

  private static List<String> values(Headers headers, String name) {
    List<String> values = headers.values(name);
    return values == null ? List.of() : values;
  }

  private static boolean hasBody(Headers headers) {
    if (!values(headers, "Transfer-Encoding").isEmpty()) {
      return true;
    }
    for (String length : values(headers, "Content-Length")) {
      if (!length.trim().equals("0")) {
        return true;
      }
    }
    return false;
  }

  private Response get(String rawQuery, String accept, List<String> acceptEncoding)
      throws IOException {
    if (rawQuery != null && rawQuery.length() > MAX_QUERY_LENGTH) {
      return Response.text(
          414, "query string too long; at most " + MAX_QUERY_LENGTH + " characters");
    }
    QueryString query;
    Optional<String> format;
    JsonReport.Page page;
    try {
      query = QueryString.parse(rawQuery);
      format = query.single("format");
      page = JsonReport.Page.of(query, DEFAULT_STREAM_LIMIT, MAX_STREAM_LIMIT);
    } catch (IllegalArgumentException e) {
      return Response.text(400, e.getMessage());
    }
    Format chosen;
    if (format.isPresent()) {
      chosen = Format.ofQueryValue(format.get());
      if (chosen == null) {
        return Response.text(
            400,
            "unknown format '"
                + Text.oneLine(format.get())
                + "'; allowed values: prometheus, json");
      }
    } else {
      chosen = AcceptHeader.choose(accept);
    }
    if (chosen == Format.JSON) {
      byte[] body = JsonReport.write(isHealthy(), clock.instant(), managers, page);
      return Response.of(200, JSON, body);
    }
    TextScrape.Result result = text.scrape(chosen, accept, query.all("name[]"), acceptEncoding);
    if (result.status != 200) {
      throw new IOException("the scrape handler answered " + result.status);
    }
    Response response = Response.of(200, result.headers.get("Content-Type"), result.body);
    String encoding = result.headers.get("Content-Encoding");
    return encoding == null ? response : response.with("Content-Encoding", encoding);
  }

  private static boolean exceeds(String header) {
    return header != null && header.length() > MAX_HEADER_LENGTH;
  }

  /** Every manager is running and passes the health policy; a policy that throws fails. */
  private boolean isHealthy() {
    for (WsManager manager : managers) {
      if (!manager.isRunning()) {
        return false;
      }
      try {
        if (!healthPolicy.test(manager)) {
          return false;
        }
      } catch (RuntimeException e) {
        log.warn(
            "the health policy threw for manager '{}'; reporting unavailable", manager.name(), e);
        return false;
      }
    }
    return true;
  }

  /** What a {@code GET} can produce. */
  enum Format {
    PROMETHEUS,
    OPENMETRICS,
    JSON;

    /** The format a {@code format} query value names, or {@code null}. */
    static Format ofQueryValue(String value) {
      switch (value.toLowerCase(Locale.ROOT)) {
        case "prometheus":
          return PROMETHEUS;
        case "json":
          return JSON;
        default:
          return null;
      }
    }
  }

  /**
   * An immutable HTTP response: status, headers in the order to send them, body. The body of a
   * {@code HEAD} response is always empty. {@code Content-Length} is left to the HTTP stack.
   */
  public static final class Response {
    private static final byte[] NO_BODY = new byte[0];

    private final int status;
    private final Map<String, String> headers;
    private final byte[] body;

    private Response(int status, Map<String, String> headers, byte[] body) {
      this.status = status;
      this.headers = Collections.unmodifiableMap(headers);
      this.body = body;
    }

    static Response of(int status, String contentType, byte[] body) {
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-Type", contentType);
      headers.put("Cache-Control", "no-store");
      headers.put("X-Content-Type-Options", "nosniff");
      return new Response(status, headers, body);
    }

    /** A one-line plain-text response; the line ends with a newline. */
    static Response text(int status, String line) {
      return of(status, PLAIN_TEXT, (line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static Response empty(int status) {
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Cache-Control", "no-store");
      return new Response(status, headers, NO_BODY);
    }

    Response with(String name, String value) {
      Map<String, String> copy = new LinkedHashMap<>(headers);
      copy.put(name, value);
      return new Response(status, copy, body);
    }

    Response withoutBodyIf(boolean head) {
      if (!head) {
        return this;
      }
      Map<String, String> copy = new LinkedHashMap<>(headers);
      copy.remove("Content-Type");
      copy.remove("X-Content-Type-Options");
      return new Response(status, copy, NO_BODY);
    }

    /**
     * The status code.
     *
     * @return the status, such as 200
     */
    public int status() {
      return status;
    }

    /**
     * The headers to send, in order; {@code Content-Length} is not among them.
     *
     * @return an unmodifiable map from header name to value
     */
    public Map<String, String> headers() {
      return headers;
    }

    /**
     * One header, looked up ignoring case.
     *
     * @param name the header name
     * @return its value, or empty
     */
    public Optional<String> header(String name) {
      for (Map.Entry<String, String> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return Optional.of(e.getValue());
        }
      }
      return Optional.empty();
    }

    /**
     * A copy of the body.
     *
     * @return the body bytes, empty for {@code HEAD}
     */
    public byte[] body() {
      return body.clone();
    }

    /**
     * The body's length in bytes, for {@code Content-Length}.
     *
     * @return the length
     */
    public int bodyLength() {
      return body.length;
    }

    /** The body as a read-only buffer, without copying. */
    ByteBuffer bodyBuffer() {
      return ByteBuffer.wrap(body).asReadOnlyBuffer();
    }

    /**
     * Writes the body without copying it.
     *
     * @param out where to write; not closed
     * @throws IOException if writing fails
     */
    public void writeBody(OutputStream out) throws IOException {
      out.write(body);
    }

    @Override
    public String toString() {
      return "Response{status="
          + status
          + ", headers="
          + headers
          + ", bodyLength="
          + body.length
          + '}';
    }
  }

  /** Builds a {@link MetricsEndpoint}; {@link #build()} checks every value. */
  public static final class Builder {
    private final List<WsManager> managers = new ArrayList<>();
    private PrometheusRegistry registry;
    private BearerToken token;
    private boolean headRequiresToken;
    private Predicate<? super WsManager> healthPolicy = manager -> true;

    private Builder() {}

    /**
     * Adds a manager whose health {@code HEAD} reports and whose streams and counters the JSON
     * lists. Call once per manager.
     *
     * @param manager a manager
     * @return this builder
     */
    public Builder manager(WsManager manager) {
      managers.add(Objects.requireNonNull(manager, "manager"));
      return this;
    }

    /**
     * Sets the registry {@code GET} exposes in the Prometheus formats. It may hold other metrics
     * too, such as JVM metrics. Default: the first manager's {@link WsManager#registry()}.
     *
     * @param registry the registry to expose
     * @return this builder
     */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Requires {@code Authorization: Bearer <token>} on {@code GET}. The comparison takes the same
     * time whatever the value sent.
     *
     * @param token visible ASCII characters without spaces
     * @return this builder
     * @throws IllegalArgumentException if the token is blank or has other characters; the message
     *     never shows the token
     */
    public Builder bearerToken(String token) {
      this.token = BearerToken.of(Objects.requireNonNull(token, "token"));
      return this;
    }

    /**
     * Sets whether {@code HEAD} needs the bearer token too.
     *
     * @param required whether {@code HEAD} needs the bearer token too. Default {@code false}, so
     *     that probes which cannot send headers keep working.
     * @return this builder
     */
    public Builder headRequiresToken(boolean required) {
      this.headRequiresToken = required;
      return this;
    }

    /**
     * An extra health condition for {@code HEAD} and the JSON {@code status}, on top of every
     * manager running; for example {@code m -> m.stats().activeConnections() > 0}. A policy that
     * throws reports unavailable. Default: always healthy.
     *
     * @param policy tested against each manager at every request
     * @return this builder
     */
    public Builder healthPolicy(Predicate<? super WsManager> policy) {
      this.healthPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Checks the values and builds the endpoint.
     *
     * @return the endpoint
     * @throws IllegalStateException if no manager was added
     * @throws IllegalArgumentException if {@code HEAD} requires a token but none was set
     */
    public MetricsEndpoint build() {
      return build(Clock.systemUTC());
    }

    MetricsEndpoint build(InstantSource clock) {
      if (managers.isEmpty()) {
        throw new IllegalStateException("no manager: call manager(...) at least once");
      }
      if (headRequiresToken && token == null) {
        throw new IllegalArgumentException(
            "headRequiresToken(true) needs a token: call bearerToken(...) too");
      }
      return new MetricsEndpoint(this, clock);
    }
  }
}
