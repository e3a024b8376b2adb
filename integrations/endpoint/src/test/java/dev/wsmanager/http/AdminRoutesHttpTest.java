package dev.wsmanager.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.CapturedLog;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin routes over HTTP, on the real {@link MetricsServer} on loopback. */
class AdminRoutesHttpTest {
  private static final String ADMIN = "Bearer adm1n";
  private final WsPeer peer = new WsPeer();
  private final WsManager manager =
      WsManager.builder().name("http-admin").registry(new PrometheusRegistry()).build();
  private EndpointServer server;

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
    manager.close(Duration.ofSeconds(2));
    peer.close();
  }

  private EndpointServer serve(boolean admin) {
    MetricsServer.Builder builder =
        MetricsServer.builder(
            MetricsEndpoint.builder().manager(manager).bearerToken("scrape").build());
    if (admin) {
      builder.admin(AdminEndpoint.builder().manager(manager).adminToken("adm1n").build());
    }
    server = new EndpointServer(builder);
    return server;
  }

  private ManagedStream open(String id) {
    ManagedStream s =
        manager.open(StreamSpec.builder(id, peer.url()).pingInterval(Duration.ZERO).build());
    Await.until(id + " open", () -> s.state() == StreamState.OPEN);
    return s;
  }

  private HttpResponse<byte[]> post(String pathAndQuery, String... headers) {
    return server.send("POST", pathAndQuery, BodyPublishers.noBody(), headers);
  }

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void theThreeRoutesWithAndWithoutTheToken() {
    serve(true);
    ManagedStream a = open("a");
    open("b");
    try (CapturedLog log = new CapturedLog()) {
      for (String route :
          new String[] {
            "/api/ws/streams/a/reconnect",
            "/api/ws/streams/a/close",
            "/api/ws/streams/close-idle?for=PT5M"
          }) {
        HttpResponse<byte[]> none = post(route);
        assertThat(none.statusCode()).as(route).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate"))
            .contains("Bearer realm=\"ws-manager\"");
        assertThat(post(route, "Authorization", "Bearer scrape").statusCode())
            .as("the metrics token opens no admin route")
            .isEqualTo(401);
      }
      assertThat(manager.stats().adminOperations()).isZero();

      HttpResponse<byte[]> reconnect = post("/api/ws/streams/a/reconnect", "Authorization", ADMIN);
      assertThat(reconnect.statusCode()).isEqualTo(200);
      assertThat(reconnect.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(Json.parseObject(reconnect.body()))
          .isEqualTo(Map.of("action", "reconnect", "manager", "http-admin", "stream", "a"));
      Await.until("a reconnected", () -> peer.upgrades.get() == 3 && a.state() == StreamState.OPEN);

      HttpResponse<byte[]> close = post("/api/ws/streams/b/close", "Authorization", ADMIN);
      assertThat(close.statusCode()).isEqualTo(200);
      Await.until("b closed", () -> manager.stream("b").isEmpty());

      HttpResponse<byte[]> idle =
          post("/api/ws/streams/close-idle?for=PT5M", "Authorization", ADMIN);
      assertThat(idle.statusCode()).isEqualTo(200);
      assertThat(body(idle))
          .isEqualTo("{\"action\":\"close-idle\",\"for\":\"PT5M\",\"closed\":[]}\n");

      HttpResponse<byte[]> unknown = post("/api/ws/streams/zz/reconnect", "Authorization", ADMIN);
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(body(unknown)).startsWith("no live stream 'zz'");

      HttpResponse<byte[]> get =
          server.send(
              "GET", "/api/ws/streams/a/close", BodyPublishers.noBody(), "Authorization", ADMIN);
      assertThat(get.statusCode()).isEqualTo(405);
      assertThat(body(get)).isEqualTo("method GET not allowed; use POST\n");

      String text = log.text();
      assertThat(text)
          .contains("admin: POST /api/ws/streams/a/reconnect from 127.0.0.1:")
          .contains("reconnecting stream 'a' of manager 'http-admin'")
          .contains("WSManager admin: closed stream 'b' in manager 'http-admin' (was open)")
          .contains("refused: no Authorization header")
          .doesNotContain("adm1n");
    }
    assertThat(manager.stats().adminOperations()).isEqualTo(2);
    assertThat(server.get(null, "Authorization", "Bearer scrape").statusCode())
        .as("the metrics endpoint still answers")
        .isEqualTo(200);
  }

  @Test
  void withoutAnAdminTokenTheRoutesDoNotExist() {
    serve(false);
    open("a");
    HttpResponse<byte[]> r = post("/api/ws/streams/a/close", "Authorization", ADMIN);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(body(r)).isEqualTo("not found\n");
    assertThat(manager.stream("a")).isPresent();
  }
}
