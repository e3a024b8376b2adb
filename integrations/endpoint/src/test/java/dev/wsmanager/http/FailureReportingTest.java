package dev.wsmanager.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Failed, refused and dropped connections show up in the JSON and the text format. */
class FailureReportingTest {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private WsPeer peer;
  private WsManager manager;
  private EndpointServer http;

  @BeforeEach
  void start() {
    peer = new WsPeer().greeting("{\"hello\":true}");
    manager =
        WsManager.builder()
            .name("failures")
            .registry(registry)
            .reconnectPolicy(
                ReconnectPolicy.builder()
                    .initialDelay(Duration.ofMillis(20))
                    .maxDelay(Duration.ofMillis(50))
                    .build())
            .build();
    http =
        new EndpointServer(MetricsEndpoint.builder().manager(manager).registry(registry).build());
  }

  @AfterEach
  void tearDown() {
    http.close();
    manager.close();
    peer.close();
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> json() {
    return Json.parseObject(http.get("format=json").body());
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> stream(String id) {
    List<Map<String, Object>> streams = (List<Map<String, Object>>) json().get("streams");
    return streams.stream().filter(s -> s.get("id").equals(id)).findFirst().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> failures() {
    return (Map<String, Object>)
        ((Map<String, Object>) json().get("metrics")).get("connectionFailures");
  }

  @Test
  void aRejectedHandshakeFailsTheStream() {
    manager.open(StreamSpec.builder("rejected", peer.url("/reject?apikey=hunter22")).build());
    Await.until(
        "the stream gives up",
        () -> manager.stream("rejected").orElseThrow().state() == StreamState.FAILED);

    assertThat(stream("rejected"))
        .containsEntry("state", "failed")
        .containsEntry("lastFailureReason", "handshake_rejected")
        .containsEntry("consecutiveFailures", 1L)
        .containsEntry("openedAt", null);
    assertThat((String) stream("rejected").get("lastError"))
        .contains("404")
        .doesNotContain("hunter22");
    assertThat(failures()).containsEntry("handshake_rejected", 1L);
    assertThat(new String(http.get(null).body(), UTF_8))
        .contains(
            "ws_manager_connection_failures_total{manager=\"failures\","
                + "reason=\"handshake_rejected\"} 1.0\n")
        .contains("ws_manager_streams{manager=\"failures\",state=\"failed\"} 1.0\n");
  }

  @Test
  void aRefusedConnectionIsRetried() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    manager.open(StreamSpec.builder("refused", "ws://127.0.0.1:" + closedPort + "/x").build());
    Await.until("two connection errors", () -> manager.stats().retries() >= 2);

    Map<String, Object> refused = stream("refused");
    assertThat(refused.get("lastFailureReason")).isEqualTo("connect_error");
    assertThat((Long) refused.get("retries")).isGreaterThanOrEqualTo(2L);
    assertThat((Long) failures().get("connect_error")).isGreaterThanOrEqualTo(2L);
  }

  @Test
  void aServerCloseIsCountedAndReconnected() {
    manager.open(StreamSpec.builder("slammed", peer.url("/slam")).build());
    Await.until(
        "three server closes",
        () ->
            manager.stats().connectionFailures().values().stream().mapToLong(Long::longValue).sum()
                >= 3);

    assertThat((Long) failures().get("closed_by_server")).isGreaterThanOrEqualTo(3L);
    assertThat(stream("slammed").get("lastFailureReason")).isEqualTo("closed_by_server");
    assertThat((Long) stream("slammed").get("attempts")).isGreaterThanOrEqualTo(3L);
  }
}
