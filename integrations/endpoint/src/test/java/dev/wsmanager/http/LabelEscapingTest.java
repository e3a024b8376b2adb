package dev.wsmanager.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Stream ids with quotes, backslashes, newlines and non-ASCII survive every format intact. */
class LabelEscapingTest {
  static final List<String> ODD_IDS =
      List.of("quo\"te", "back\\slash", "line\nbreak", "ünïcødé-€-日本");

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private WsPeer peer;
  private WsManager manager;
  private EndpointServer http;

  @BeforeEach
  void openOddStreams() {
    peer = new WsPeer().greeting("{\"hello\":true}");
    manager = WsManager.builder().name("odd").registry(registry).perStreamMetrics(true).build();
    for (String id : ODD_IDS) {
      manager.open(StreamSpec.builder(id, peer.url("/odd")).build());
    }
    Await.until(
        "every odd stream is open", () -> manager.stats().activeConnections() == ODD_IDS.size());
    http =
        new EndpointServer(MetricsEndpoint.builder().manager(manager).registry(registry).build());
  }

  @AfterEach
  void tearDown() {
    http.close();
    manager.close();
    peer.close();
  }

  @Test
  void prometheusTextEscapesLabelValues() {
    String text = new String(http.get("format=prometheus").body(), UTF_8);

    assertThat(text)
        .contains(
            "ws_manager_connection_attempts_total{manager=\"odd\",stream=\"quo\\\"te\"} 1.0\n")
        .contains(
            "ws_manager_connection_attempts_total{manager=\"odd\",stream=\"back\\\\slash\"} 1.0\n")
        .contains(
            "ws_manager_connection_attempts_total{manager=\"odd\",stream=\"line\\nbreak\"} 1.0\n")
        .contains(
            "ws_manager_connection_attempts_total{manager=\"odd\",stream=\"ünïcødé-€-日本\"} 1.0\n");
  }

  @Test
  void openMetricsEscapesLabelValues() {
    HttpResponse<byte[]> response = http.get(null, "Accept", "application/openmetrics-text");
    String text = new String(response.body(), UTF_8);

    assertThat(text)
        .contains("ws_manager_messages_received_total{manager=\"odd\",stream=\"quo\\\"te\"} 1.0\n")
        .contains(
            "ws_manager_messages_received_total{manager=\"odd\",stream=\"line\\nbreak\"} 1.0\n")
        .contains(
            "ws_manager_messages_received_total{manager=\"odd\",stream=\"ünïcødé-€-日本\"} 1.0\n")
        .endsWith("# EOF\n");
  }

  @Test
  void jsonCarriesTheIdsExactly() {
    Map<String, Object> json = Json.parseObject(http.get("format=json").body());

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> streams = (List<Map<String, Object>>) json.get("streams");
    assertThat(streams).extracting(s -> s.get("id")).containsExactlyInAnyOrderElementsOf(ODD_IDS);
  }
}
