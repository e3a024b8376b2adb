package dev.wsmanager.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The endpoint's contract over real HTTP on loopback, against a manager with two open streams. */
class MetricsServerTest {
  static final String TEXT_004 = "text/plain; version=0.0.4; charset=utf-8";
  static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
  static final String PROMETHEUS_2_ACCEPT =
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
          + "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private WsPeer peer;
  private WsManager manager;
  private EndpointServer http;

  @BeforeEach
  void openTwoStreams() {
    peer = new WsPeer().greeting("{\"hello\":true}");
    manager = WsManager.builder().name("endpoint-test").registry(registry).build();
    manager.open(StreamSpec.builder("alpha", peer.url("/feed?token=s3cret-value")).build());
    manager.open(StreamSpec.builder("beta", peer.url("/feed")).build());
    Await.until(
        "both streams are open and greeted",
        () -> manager.stats().activeConnections() == 2 && manager.stats().messagesReceived() == 2);
  }

  @AfterEach
  void tearDown() {
    if (http != null) {
      http.close();
    }
    manager.close();
    peer.close();
  }

  private EndpointServer serve(MetricsEndpoint.Builder endpoint) {
    http = new EndpointServer(endpoint.build());
    return http;
  }

  private EndpointServer serve() {
    return serve(MetricsEndpoint.builder().manager(manager).registry(registry));
  }

  private static String body(HttpResponse<byte[]> response) {
    return new String(response.body(), UTF_8);
  }

  private static String contentType(HttpResponse<byte[]> response) {
    return response.headers().firstValue("Content-Type").orElse(null);
  }

  @Test
  void getWithoutAcceptServesPrometheusText() {
    HttpResponse<byte[]> response = serve().get(null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(contentType(response)).isEqualTo(TEXT_004);
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(body(response))
        .contains("# TYPE ws_manager_active_connections gauge\n")
        .contains("ws_manager_active_connections{manager=\"endpoint-test\"} 2.0\n")
        .contains("ws_manager_stream_creations_total{manager=\"endpoint-test\"} 2.0\n")
        .contains("ws_manager_messages_received_total{manager=\"endpoint-test\"} 2.0\n")
        .contains("ws_manager_streams{manager=\"endpoint-test\",state=\"open\"} 2.0\n")
        .doesNotContain("# EOF");
  }

  @Test
  void prometheusOwnAcceptHeaderGetsOpenMetrics() {
    HttpResponse<byte[]> response = serve().get(null, "Accept", PROMETHEUS_2_ACCEPT);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(contentType(response)).isEqualTo(OPENMETRICS);
    assertThat(body(response))
        .contains("# TYPE ws_manager_stream_creations counter\n")
        .contains("ws_manager_stream_creations_total{manager=\"endpoint-test\"} 2.0\n")
        .endsWith("# EOF\n");
  }

  @Test
  void formatPrometheusOverridesAccept() {
    EndpointServer server = serve();

    assertThat(contentType(server.get("format=prometheus", "Accept", PROMETHEUS_2_ACCEPT)))
        .isEqualTo(TEXT_004);
    assertThat(contentType(server.get("format=prometheus", "Accept", "application/json")))
        .isEqualTo(TEXT_004);
  }

  @Test
  void acceptNegotiation() {
    EndpointServer server = serve();

    assertThat(contentType(server.get(null, "Accept", "*/*"))).isEqualTo(TEXT_004);
    assertThat(
            contentType(
                server.get(
                    null,
                    "Accept",
                    "text/html,application/xhtml+xml," + "application/xml;q=0.9,*/*;q=0.8")))
        .isEqualTo(TEXT_004);
    assertThat(contentType(server.get(null, "Accept", "application/openmetrics-text")))
        .isEqualTo(OPENMETRICS);
    assertThat(contentType(server.get(null, "Accept", "application/json")))
        .isEqualTo("application/json");
    assertThat(contentType(server.get(null, "Accept", "application/json;q=0.4, text/plain")))
        .isEqualTo(TEXT_004);
    assertThat(contentType(server.get(null, "Accept", "image/png"))).isEqualTo(TEXT_004);
  }

  @Test
  void severalAcceptHeadersAreReadAsOne() {
    HttpResponse<byte[]> response =
        serve().get(null, "Accept", "text/plain;q=0.1", "Accept", "application/json");

    assertThat(contentType(response)).isEqualTo("application/json");
  }

  @Test
  void jsonCarriesHealthTotalsAndStreams() {
    HttpResponse<byte[]> response = serve().get("format=json");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(contentType(response)).isEqualTo("application/json");
    Map<String, Object> json = Json.parseObject(response.body());
    assertThat(json).containsEntry("status", "healthy");
    assertThat(Instant.parse((String) json.get("timestamp")))
        .isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(60));
    assertThat(json.get("managers"))
        .isEqualTo(List.of(Map.of("name", "endpoint-test", "running", true)));

    @SuppressWarnings("unchecked")
    Map<String, Object> metrics = (Map<String, Object>) json.get("metrics");
    assertThat(metrics)
        .containsEntry("activeConnections", 2L)
        .containsEntry("activeConnectionsHwm", 2L)
        .containsEntry("retryCount", 0L)
        .containsEntry("streamCreations", 2L)
        .containsEntry("streamCleanups", 0L)
        .containsEntry("connectionAttempts", 2L)
        .containsEntry("connectionFailuresTotal", 0L)
        .containsEntry("messagesReceived", 2L)
        .containsEntry("messagesSent", 0L)
        .containsEntry("listenerErrors", 0L)
        .containsEntry(
            "streamsByState",
            Map.of("connecting", 0L, "open", 2L, "backing_off", 0L, "closing", 0L, "failed", 0L))
        .containsEntry(
            "connectionFailures",
            Map.of(
                "handshake_rejected",
                0L,
                "connect_error",
                0L,
                "connect_timeout",
                0L,
                "ping_timeout",
                0L,
                "idle_timeout",
                0L,
                "heartbeat_timeout",
                0L,
                "closed_by_server",
                0L,
                "connection_lost",
                0L,
                "tls_error",
                0L,
                "listener_stalled",
                0L));

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> streams = (List<Map<String, Object>>) json.get("streams");
    assertThat(streams).extracting(s -> s.get("id")).containsExactly("alpha", "beta");
    Map<String, Object> alpha = streams.get(0);
    assertThat(alpha)
        .containsEntry("manager", "endpoint-test")
        .containsEntry("url", peer.url("/feed?token=***"))
        .containsEntry("state", "open")
        .containsEntry("attempts", 1L)
        .containsEntry("retries", 0L)
        .containsEntry("consecutiveFailures", 0L)
        .containsEntry("lastFailureReason", null)
        .containsEntry("lastError", null)
        .containsEntry("messagesReceived", 1L)
        .containsEntry("messagesSent", 0L)
        .containsEntry("queuedBytes", 0L);
    Instant openedAt = Instant.parse((String) alpha.get("openedAt"));
    assertThat(Instant.parse((String) alpha.get("lastMessageAt"))).isAfterOrEqualTo(openedAt);
    assertThat(body(response)).doesNotContain("s3cret-value");
  }

  @Test
  void acceptJsonWithoutFormatGetsJson() {
    HttpResponse<byte[]> response = serve().get(null, "Accept", "application/json");

    assertThat(Json.parseObject(response.body())).containsEntry("status", "healthy");
  }

  @Test
  void formatValueIgnoresCaseAndOtherParameters() {
    HttpResponse<byte[]> response = serve().get("cache=1&format=JSON&x");

    assertThat(contentType(response)).isEqualTo("application/json");
  }

  @Test
  void unknownFormatIsA400NamingTheAllowedValues() {
    HttpResponse<byte[]> response = serve().get("format=xml");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(contentType(response)).isEqualTo("text/plain; charset=utf-8");
    assertThat(body(response))
        .isEqualTo("unknown format 'xml'; allowed values: prometheus, json\n");
  }

  @Test
  void badFormatValuesNeverBreakTheOneLineBody() {
    EndpointServer server = serve();

    assertThat(body(server.get("format=")))
        .isEqualTo("unknown format ''; allowed values: prometheus, json\n");
    assertThat(body(server.get("format=a%0Ab")))
        .isEqualTo("unknown format 'a?b'; allowed values: prometheus, json\n");
    assertThat(body(server.get("format=" + "x".repeat(100))))
        .isEqualTo(
            "unknown format '" + "x".repeat(64) + "...'; allowed values: prometheus, json\n");
  }

  @Test
  void malformedQueriesAre400s() {
    EndpointServer server = serve();

    HttpResponse<byte[]> twice = server.get("format=json&format=prometheus");
    assertThat(twice.statusCode()).isEqualTo(400);
    assertThat(body(twice)).isEqualTo("format must be given at most once\n");

    String badEncoding =
        server.raw(
            "GET /api/ws/metrics?format=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assertThat(badEncoding).startsWith("HTTP/1.1 400 ");
  }

  @Test
  void aMalformedRequestLineIsA400() {
    String response = serve().raw("NONSENSE\r\n\r\n");

    assertThat(response).startsWith("HTTP/1.1 400 ");
  }

  @Test
  void oversizedRequestsAre4xx() {
    EndpointServer server = serve();

    HttpResponse<byte[]> longQuery = server.get("pad=" + "a".repeat(3000));
    assertThat(longQuery.statusCode()).isEqualTo(414);
    assertThat(body(longQuery)).isEqualTo("query string too long; at most 2048 characters\n");

    HttpResponse<byte[]> longAccept = server.get(null, "Accept", "text/plain;" + "a".repeat(5000));
    assertThat(longAccept.statusCode()).isEqualTo(431);

    HttpResponse<byte[]> withBody =
        server.send("GET", EndpointServer.PATH, BodyPublishers.ofString("x".repeat(10_000)));
    assertThat(withBody.statusCode()).isEqualTo(413);
    assertThat(body(withBody)).isEqualTo("a request body is not allowed\n");
  }

  @Test
  void headIsAHealthProbeThatTurns503WhenTheManagerCloses() {
    EndpointServer server = serve();

    HttpResponse<byte[]> running = server.head();
    assertThat(running.statusCode()).isEqualTo(200);
    assertThat(running.body()).isEmpty();

    manager.close();

    HttpResponse<byte[]> closed = server.head();
    assertThat(closed.statusCode()).isEqualTo(503);
    assertThat(closed.body()).isEmpty();
    Await.until("the peer sees both streams closed", () -> peer.open.size() == 0);

    Map<String, Object> json = Json.parseObject(server.get("format=json").body());
    assertThat(json).containsEntry("status", "unavailable").containsEntry("streams", List.of());
    assertThat(json.get("managers"))
        .isEqualTo(List.of(Map.of("name", "endpoint-test", "running", false)));
    assertThat(body(server.get(null))).doesNotContain("endpoint-test");
  }

  @Test
  void healthPolicyDecidesHeadAndJsonStatus() {
    EndpointServer server =
        serve(
            MetricsEndpoint.builder()
                .manager(manager)
                .registry(registry)
                .healthPolicy(m -> m.stats().activeConnections() >= 3));

    assertThat(server.head().statusCode()).isEqualTo(503);
    assertThat(Json.parseObject(server.get("format=json").body()))
        .containsEntry("status", "unavailable");
  }

  @Test
  void aThrowingHealthPolicyReportsUnavailable() {
    EndpointServer server =
        serve(
            MetricsEndpoint.builder()
                .manager(manager)
                .registry(registry)
                .healthPolicy(
                    m -> {
                      throw new IllegalStateException("boom");
                    }));

    HttpResponse<byte[]> response = server.head();

    assertThat(response.statusCode()).isEqualTo(503);
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get"})
  void otherMethodsAre405s(String method) {
    HttpResponse<byte[]> response =
        serve().send(method, EndpointServer.PATH, BodyPublishers.ofString("{}"));

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("Allow")).hasValue("GET, HEAD");
    assertThat(body(response)).isEqualTo("method " + method + " not allowed; use GET or HEAD\n");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/api/ws/metrics/foo",
        "/api/ws/metrics/",
        "/api/ws/metricsx",
        "/api/ws/metrics/foo?format=json"
      })
  void otherPathsAre404s(String path) {
    HttpResponse<byte[]> response = serve().send("GET", path, BodyPublishers.noBody());

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(body(response)).isEqualTo("not found\n");
  }

  @Test
  void bearerTokenProtectsGetButNotHead() {
    EndpointServer server =
        serve(
            MetricsEndpoint.builder()
                .manager(manager)
                .registry(registry)
                .bearerToken("t0ken-with.chars~+/="));

    for (String[] headers :
        new String[][] {
          {},
          {"Authorization", "Bearer wrong"},
          {"Authorization", "Bearer t0ken-with.chars~+/"},
          {"Authorization", "Basic dXNlcjpwYXNz"},
          {"Authorization", "Bearer"}
        }) {
      HttpResponse<byte[]> denied = server.get("format=json", headers);
      assertThat(denied.statusCode()).as("GET with %s", (Object) headers).isEqualTo(401);
      assertThat(denied.headers().firstValue("WWW-Authenticate"))
          .hasValue("Bearer realm=\"ws-manager\"");
      assertThat(body(denied))
          .isEqualTo("unauthorized; send the header Authorization: Bearer <token>\n");
    }
    assertThat(server.get(null, "Authorization", "Bearer t0ken-with.chars~+/=").statusCode())
        .isEqualTo(200);
    assertThat(server.get(null, "Authorization", "bearer t0ken-with.chars~+/=").statusCode())
        .isEqualTo(200);
    assertThat(server.head().statusCode()).isEqualTo(200);
  }

  @Test
  void unauthorizedComesBeforeValidation() {
    EndpointServer server =
        serve(MetricsEndpoint.builder().manager(manager).registry(registry).bearerToken("secret"));

    assertThat(server.get("format=xml").statusCode()).isEqualTo(401);
    assertThat(server.get("format=xml", "Authorization", "Bearer secret").statusCode())
        .isEqualTo(400);
  }

  @Test
  void headCanRequireTheTokenToo() {
    EndpointServer server =
        serve(
            MetricsEndpoint.builder()
                .manager(manager)
                .registry(registry)
                .bearerToken("secret")
                .headRequiresToken(true));

    HttpResponse<byte[]> denied = server.head();
    assertThat(denied.statusCode()).isEqualTo(401);
    assertThat(denied.headers().firstValue("WWW-Authenticate"))
        .hasValue("Bearer realm=\"ws-manager\"");
    assertThat(denied.body()).isEmpty();
    assertThat(server.head("Authorization", "Bearer secret").statusCode()).isEqualTo(200);
  }

  @Test
  void twoAuthorizationHeadersAreA400() {
    EndpointServer server =
        serve(MetricsEndpoint.builder().manager(manager).registry(registry).bearerToken("secret"));

    HttpResponse<byte[]> response =
        server.get(null, "Authorization", "Bearer secret", "Authorization", "Bearer other");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body(response)).isEqualTo("more than one Authorization header\n");
  }

  @Test
  void aFailingCollectorIsA500WithoutDetails() {
    registry.register(
        (Collector)
            () -> {
              throw new IllegalStateException("collector exploded at com.example.Secret");
            });
    HttpResponse<byte[]> response = serve().get(null);

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(body(response))
        .isEqualTo("internal error while collecting metrics; see the server log\n");
  }

  @Test
  void severalManagersAddUpAndEachMustBeRunning() {
    WsManager second = WsManager.builder().name("second").registry(registry).build();
    try {
      second.open(StreamSpec.builder("gamma", peer.url("/other")).build());
      Await.until(
          "the second manager's stream is open", () -> second.stats().activeConnections() == 1);
      EndpointServer server =
          serve(MetricsEndpoint.builder().manager(manager).manager(second).registry(registry));

      Map<String, Object> json = Json.parseObject(server.get("format=json").body());
      @SuppressWarnings("unchecked")
      Map<String, Object> metrics = (Map<String, Object>) json.get("metrics");
      assertThat(metrics)
          .containsEntry("activeConnections", 3L)
          .containsEntry("streamCreations", 3L);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> streams = (List<Map<String, Object>>) json.get("streams");
      assertThat(streams)
          .extracting(s -> s.get("manager") + "/" + s.get("id"))
          .containsExactly("endpoint-test/alpha", "endpoint-test/beta", "second/gamma");
      assertThat(body(server.get(null)))
          .contains("ws_manager_active_connections{manager=\"second\"} 1.0\n");

      second.close();

      assertThat(server.head().statusCode()).isEqualTo(503);
    } finally {
      second.close();
    }
  }
}
