package dev.wsmanager.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.FakeTimeManagers;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import dev.wsmanager.http.MetricsEndpoint.Response;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.CapturedLog;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin routes' decisions, called directly; AdminRoutesHttpTest drives them over HTTP. */
class AdminEndpointTest {
  static final String TOKEN = "adm1n-t0ken";
  static final String AUTH = "Bearer " + TOKEN;

  private final FakeTime time = new FakeTime();
  private final WsPeer peer = new WsPeer();
  private final WsManager manager =
      FakeTimeManagers.faked(
              WsManager.builder().name("admin-test").registry(new PrometheusRegistry()), time)
          .build();
  private final AdminEndpoint admin =
      AdminEndpoint.builder().manager(manager).adminToken(TOKEN).build();

  @AfterEach
  void tearDown() {
    manager.close(Duration.ofSeconds(2));
    peer.close();
  }

  private ManagedStream open(String id) {
    ManagedStream s =
        manager.open(StreamSpec.builder(id, peer.url()).pingInterval(Duration.ZERO).build());
    Await.until(id + " open", () -> s.state() == StreamState.OPEN);
    return s;
  }

  private Response post(String path, String query) {
    return admin.handle("POST", path, query, AUTH, "127.0.0.1:40000");
  }

  private static String body(Response r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void withoutTheTokenEveryRouteIsA401AndTheTokenIsNeverLogged() {
    ManagedStream s = open("a");
    try (CapturedLog log = new CapturedLog()) {
      for (String auth : new String[] {null, "Bearer wrong", "Basic " + TOKEN, TOKEN}) {
        for (String path :
            List.of(
                "/api/ws/streams/a/close",
                "/api/ws/streams/nope/reconnect",
                "/api/ws/streams/close-idle",
                "/api/ws/streams/x")) {
          Response r = admin.handle("POST", path, "for=PT1S", auth, "10.1.2.3:5555");
          assertThat(r.status()).as(path + " with " + auth).isEqualTo(401);
          assertThat(r.header("WWW-Authenticate")).contains("Bearer realm=\"ws-manager\"");
          assertThat(body(r))
              .isEqualTo("unauthorized; send the header Authorization: Bearer <admin token>\n");
        }
      }
      assertThat(log.text())
          .contains(
              "admin: POST /api/ws/streams/a/close from 10.1.2.3:5555 refused: no Authorization header")
          .contains("refused: wrong admin token")
          .doesNotContain(TOKEN);
    }
    assertThat(s.state()).isEqualTo(StreamState.OPEN);
    assertThat(manager.stats().adminOperations()).isZero();
  }

  @Test
  void reconnectAndCloseAStreamByIdAndSayWhatWasDone() {
    ManagedStream s = open("btc usdt");
    Response r;
    try (CapturedLog log = new CapturedLog()) {
      r = post("/api/ws/streams/btc%20usdt/reconnect", null);
      assertThat(log.text())
          .contains(
              "admin: POST /api/ws/streams/btc%20usdt/reconnect from 127.0.0.1:40000:"
                  + " reconnecting stream 'btc usdt' of manager 'admin-test'")
          .doesNotContain(TOKEN);
    }
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).contains("application/json");
    assertThat(Json.parseObject(r.body()))
        .isEqualTo(Map.of("action", "reconnect", "manager", "admin-test", "stream", "btc usdt"));
    Await.until("reconnected", () -> peer.upgrades.get() == 2 && s.state() == StreamState.OPEN);

    r = post("/api/ws/streams/btc%20usdt/close", null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(Json.parseObject(r.body())).containsEntry("action", "close");
    Await.until("closed", () -> s.state() == StreamState.CLOSED);
    assertThat(manager.stats().adminOperations()).isEqualTo(2);
  }

  @Test
  void anUnknownIdIsA404() {
    Response r = post("/api/ws/streams/nope/close", null);
    assertThat(r.status()).isEqualTo(404);
    assertThat(body(r))
        .isEqualTo(
            "no live stream 'nope'; the JSON view of the metrics endpoint lists the streams\n");
    assertThat(post("/api/ws/streams/nope/reconnect", null).status()).isEqualTo(404);
  }

  @Test
  void closeIdleClosesWhatReceivedNothingForThatLong() {
    open("quiet");
    time.advance(Duration.ofMinutes(6));
    ManagedStream fresh = open("fresh");
    Response r = post("/api/ws/streams/close-idle", "for=PT5M");
    assertThat(r.status()).isEqualTo(200);
    assertThat(Json.parseObject(r.body()))
        .isEqualTo(
            Map.of(
                "action",
                "close-idle",
                "for",
                "PT5M",
                "closed",
                List.of(Map.of("manager", "admin-test", "stream", "quiet"))));
    assertThat(fresh.state()).isEqualTo(StreamState.OPEN);
    r = post("/api/ws/streams/close-idle", "for=PT5M");
    assertThat(Json.parseObject(r.body())).containsEntry("closed", List.of());
  }

  @Test
  void badRequestsGetOneLineAnswers() {
    assertThat(post("/api/ws/streams/close-idle", null).status()).isEqualTo(400);
    Response bad = post("/api/ws/streams/close-idle", "for=5m");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(body(bad))
        .isEqualTo(
            "parameter 'for' must be a positive ISO-8601 duration such as PT5M or PT30S, was '5m'\n");
    assertThat(post("/api/ws/streams/close-idle", "for=PT0S").status()).isEqualTo(400);
    assertThat(post("/api/ws/streams/close-idle", "for=PT1M&for=PT2M").status()).isEqualTo(400);
    assertThat(post("/api/ws/streams/close-idle", "for=%zz").status()).isEqualTo(400);
    assertThat(post("/api/ws/streams/a/b/close", null).status()).isEqualTo(404);
    assertThat(post("/api/ws/streams//close", null).status()).isEqualTo(404);
    assertThat(post("/api/ws/streams/a/delete", null).status()).isEqualTo(404);
    assertThat(post("/api/ws/streams/%zz/close", null).status()).isEqualTo(400);
    Response get = admin.handle("GET", "/api/ws/streams/a/close", null, AUTH, null);
    assertThat(get.status()).isEqualTo(405);
    assertThat(get.header("Allow")).contains("POST");
    for (Response r : List.of(bad, get)) {
      assertThat(body(r)).doesNotContain("Exception").doesNotContain("\tat ");
    }
  }

  @Test
  void theRoutesNeverRunWithoutAToken() {
    assertThatThrownBy(() -> AdminEndpoint.builder().manager(manager).build())
        .hasMessage("no admin token: call adminToken(...); the admin routes never run without one");
    assertThatThrownBy(() -> AdminEndpoint.builder().manager(manager).adminToken("has space"))
        .hasMessage(
            "adminToken must be visible ASCII characters without spaces; character 4 is not"
                + " (the token is not shown)");
    assertThat(AdminEndpoint.handles("/api/ws/streams/a/close")).isTrue();
    assertThat(AdminEndpoint.handles("/api/ws/metrics")).isFalse();
  }
}
