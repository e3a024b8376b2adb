package dev.wsmanager.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Stream groups and the feed-health counters in the JSON view. */
class FeedHealthJsonTest {
  private final WsPeer peer = new WsPeer();
  private final WsManager manager =
      WsManager.builder().name("json-groups").registry(new PrometheusRegistry()).build();

  @AfterEach
  void tearDown() {
    manager.close(Duration.ofSeconds(2));
    peer.close();
  }

  private void open(String id, String group) {
    StreamSpec.Builder spec = StreamSpec.builder(id, peer.url()).pingInterval(Duration.ZERO);
    if (group != null) {
      spec.group(group);
    }
    ManagedStream s = manager.open(spec.build());
    Await.until(id + " open", () -> s.state() == StreamState.OPEN);
  }

  @Test
  @SuppressWarnings("unchecked")
  void groupsAreTotalledAndEachStreamNamesItsGroup() {
    open("btc", "binance");
    open("eth", "binance");
    open("sol", "bybit");
    open("plain", null);
    MetricsEndpoint endpoint = MetricsEndpoint.builder().manager(manager).build();
    Map<String, Object> json =
        Json.parseObject(endpoint.handle("GET", "format=json", null, null).body());

    Map<String, Object> groups = (Map<String, Object>) json.get("groups");
    assertThat(groups).containsOnlyKeys("binance", "bybit");
    assertThat((Map<String, Object>) groups.get("binance"))
        .containsEntry("activeConnections", 2L)
        .containsEntry("heartbeatTimeouts", 0L);
    assertThat((Map<String, Object>) groups.get("bybit")).containsEntry("activeConnections", 1L);
    assertThat((Map<String, Object>) json.get("metrics"))
        .containsEntry("activeConnections", 4L)
        .containsEntry("heartbeatSuccesses", 0L)
        .containsEntry("negativeMessageDelays", 0L)
        .containsEntry("adminOperations", 0L);
    List<Map<String, Object>> streams = (List<Map<String, Object>>) json.get("streams");
    assertThat(streams)
        .extracting(s -> s.get("id") + "=" + s.get("group"))
        .containsExactly("btc=binance", "eth=binance", "plain=null", "sol=bybit");
  }
}
