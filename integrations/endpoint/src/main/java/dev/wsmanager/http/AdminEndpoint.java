package dev.wsmanager.http;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.wsmanager.WsManager;
import dev.wsmanager.http.MetricsEndpoint.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin routes: an operator's reconnect and close of streams over HTTP, the library's {@link
 * WsManager#reconnect}, {@link WsManager#close(String)} and {@link WsManager#closeIdle}.
 *
 * <ul>
 *   <li>{@code POST /api/ws/streams/{id}/reconnect}
 *   <li>{@code POST /api/ws/streams/{id}/close}
 *   <li>{@code POST /api/ws/streams/close-idle?for=PT5M} (an ISO-8601 duration)
 * </ul>
 *
 * <p>They exist only where an admin token is configured (a server mounts them only then) and answer
 * nothing without it: a request without {@code Authorization: Bearer <admin token>} is a 401
 * whatever it asks, an unknown stream id a 404, another method a 405. Success is a 200 with a JSON
 * body saying what was done; errors are one line of plain text, never a stack trace. Every request
 * is logged at INFO with the caller's address, the route and the outcome; the token never is. The
 * admin token is separate from the metrics token: scrapers never get to close streams.
 *
 * <pre>{@code
 * AdminEndpoint admin = AdminEndpoint.builder().manager(manager).adminToken(token).build();
 * MetricsServer.builder(endpoint).admin(admin).port(3000).start();
 * }</pre>
 *
 * <p>A stream id is looked up in each manager in the order they were added; {@code close-idle}
 * applies to every manager. Thread-safe.
 */
public final class AdminEndpoint {
  private static final Logger log = LoggerFactory.getLogger(AdminEndpoint.class);
  private static final JsonFactory JSON = new JsonFactory();

  /** The routes' common prefix. */
  public static final String PATH_PREFIX = "/api/ws/streams/";

  static final String ALLOW = "POST";
  static final int MAX_PATH_LENGTH = 1024;

  private final List<WsManager> managers;
  private final BearerToken token;

  private AdminEndpoint(Builder b) {
    this.managers = List.copyOf(b.managers);
    this.token = b.token;
  }

  /**
   * A builder; a manager and the admin token are required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether a request path is one of the admin routes' (starts with {@value #PATH_PREFIX}).
   *
   * @param rawPath the path as sent
   * @return whether {@link #handle} should answer it
   */
  public static boolean handles(String rawPath) {
    return rawPath != null && rawPath.startsWith(PATH_PREFIX);
  }

  /**
   * Answers one request. Never throws for anything the client sends.
   *
   * @param method the request method; case-sensitive, as in HTTP
   * @param rawPath the path as sent (still percent-encoded), such as {@code
   *     /api/ws/streams/btcusdt/reconnect}
   * @param rawQuery the query string as sent, without {@code ?}, or {@code null}
   * @param authorization the {@code Authorization} header, or {@code null}
   * @param caller who asks, for the log: the client's address, such as {@code 10.0.0.7:51234}
   * @return the response to send
   */
  public Response handle(
      String method, String rawPath, String rawQuery, String authorization, String caller) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(rawPath, "rawPath");
    String who = caller == null ? "unknown" : Text.oneLine(caller);
    String route = Text.oneLine(method) + " " + Text.oneLine(rawPath);
    if (authorization == null
        || authorization.length() > MetricsEndpoint.MAX_HEADER_LENGTH
        || !token.matches(authorization)) {
      log.warn(
          "admin: {} from {} refused: {}",
          route,
          who,
          authorization == null ? "no Authorization header" : "wrong admin token");
      return Response.text(401, "unauthorized; send the header Authorization: Bearer <admin token>")
          .with("WWW-Authenticate", MetricsEndpoint.WWW_AUTHENTICATE);
    }
    try {
      Response response = route(method, rawPath, rawQuery, who, route);
      if (response.status() >= 400) {
        log.info("admin: {} from {}: {}", route, who, response.status());
      }
      return response;
    } catch (RuntimeException e) {
      log.error("admin: {} from {} failed", route, who, e);
      return Response.text(
          500, "internal error while running the admin operation; see the" + " server log");
    }
  }

  private Response route(String method, String rawPath, String rawQuery, String who, String route) {
    if (rawPath.length() > MAX_PATH_LENGTH) {
      return Response.text(414, "path too long; at most " + MAX_PATH_LENGTH + " characters");
    }
    String rest = rawPath.substring(PATH_PREFIX.length());
    boolean closeIdle = rest.equals("close-idle");
    int slash = rest.lastIndexOf('/');
    String action = slash < 0 ? null : rest.substring(slash + 1);
    String rawId = slash < 0 ? null : rest.substring(0, slash);
    boolean streamAction =
        rawId != null
            && !rawId.isEmpty()
            && rawId.indexOf('/') < 0
            && ("reconnect".equals(action) || "close".equals(action));
    if (!closeIdle && !streamAction) {
      return Response.text(
          404,
          "not found; the admin routes are POST "
              + PATH_PREFIX
              + "{id}/reconnect, "
              + PATH_PREFIX
              + "{id}/close and "
              + PATH_PREFIX
              + "close-idle?for=PT5M");
    }
    if (!method.equals("POST")) {
      return Response.text(405, "method " + Text.oneLine(method) + " not allowed; use POST")
          .with("Allow", ALLOW);
    }
    return closeIdle ? closeIdle(rawQuery, who, route) : streamAction(action, rawId, who, route);
  }

  private Response streamAction(String action, String rawId, String who, String route) {
    String id;
    try {
      // a path segment: '+' is a plus, not a space
      id = URLDecoder.decode(rawId.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Response.text(400, "malformed stream id: bad percent-encoding");
    }
    for (WsManager manager : managers) {
      if (manager.stream(id).isEmpty()) {
        continue;
      }
      boolean done = action.equals("reconnect") ? manager.reconnect(id) : manager.close(id);
      if (!done) {
        break; // closing meanwhile: as good as gone
      }
      log.info(
          "admin: {} from {}: {} stream '{}' of manager '{}'",
          route,
          who,
          action.equals("reconnect") ? "reconnecting" : "closed",
          Text.oneLine(id),
          manager.name());
      return json(
          g -> {
            g.writeStringField("action", action);
            g.writeStringField("manager", manager.name());
            g.writeStringField("stream", id);
          });
    }
    return Response.text(
        404,
        "no live stream '"
            + Text.oneLine(id)
            + "'; the JSON view of the"
            + " metrics endpoint lists the streams");
  }

  private Response closeIdle(String rawQuery, String who, String route) {
    Optional<String> value;
    try {
      value = QueryString.parse(rawQuery).single("for");
    } catch (IllegalArgumentException e) {
      return Response.text(400, e.getMessage());
    }
    if (value.isEmpty()) {
      return Response.text(
          400,
          "missing parameter 'for': how long a stream must have received"
              + " nothing, an ISO-8601 duration such as close-idle?for=PT5M");
    }
    Duration idle;
    try {
      idle = Duration.parse(value.get());
    } catch (DateTimeParseException e) {
      idle = null;
    }
    if (idle == null || idle.isNegative() || idle.isZero()) {
      return Response.text(
          400,
          "parameter 'for' must be a positive ISO-8601 duration such as"
              + " PT5M or PT30S, was '"
              + Text.oneLine(value.get())
              + "'");
    }
    Duration limit = idle;
    List<String[]> closed = new ArrayList<>();
    for (WsManager manager : managers) {
      for (String id : manager.closeIdle(limit)) {
        closed.add(new String[] {manager.name(), id});
      }
    }
    log.info(
        "admin: {} from {}: closed {} streams idle for {} or longer",
        route,
        who,
        closed.size(),
        limit);
    return json(
        g -> {
          g.writeStringField("action", "close-idle");
          g.writeStringField("for", limit.toString());
          g.writeArrayFieldStart("closed");
          for (String[] c : closed) {
            g.writeStartObject();
            g.writeStringField("manager", c[0]);
            g.writeStringField("stream", c[1]);
            g.writeEndObject();
          }
          g.writeEndArray();
        });
  }

  /** Writes the fields of one JSON object. */
  private interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  private static Response json(Fields fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    out.write('\n');
    return Response.of(200, MetricsEndpoint.JSON, out.toByteArray());
  }

  /** Builds an {@link AdminEndpoint}; {@link #build()} checks every value. */
  public static final class Builder {
    private final List<WsManager> managers = new ArrayList<>();
    private BearerToken token;

    private Builder() {}

    /**
     * Adds a manager whose streams the routes act on. Call once per manager.
     *
     * @param manager a manager
     * @return this builder
     */
    public Builder manager(WsManager manager) {
      managers.add(Objects.requireNonNull(manager, "manager"));
      return this;
    }

    /**
     * The admin token every request must carry as {@code Authorization: Bearer <token>}; compared
     * in constant time. Use another token than the metrics endpoint's.
     *
     * @param token visible ASCII characters without spaces
     * @return this builder
     * @throws IllegalArgumentException if the token is blank or has other characters; the message
     *     never shows the token
     */
    public Builder adminToken(String token) {
      this.token = BearerToken.of(Objects.requireNonNull(token, "token"), "adminToken");
      return this;
    }

    /**
     * Checks the values and builds the routes.
     *
     * @return the admin endpoint
     * @throws IllegalStateException if no manager or no admin token was given: the routes never run
     *     without a token
     */
    public AdminEndpoint build() {
      if (managers.isEmpty()) {
        throw new IllegalStateException("no manager: call manager(...) at least once");
      }
      if (token == null) {
        throw new IllegalStateException(
            "no admin token: call adminToken(...); the admin routes never run without one");
      }
      return new AdminEndpoint(this);
    }
  }
}
