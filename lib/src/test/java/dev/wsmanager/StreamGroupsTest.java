package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StreamGroupsTest {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsPeer peer = new WsPeer();
  private final WsManager manager =
      WsManager.builder().name("groups").registry(registry).maxGroups(2).build();

  @AfterEach
  void tearDown() {
    manager.close(Duration.ofSeconds(2));
    peer.close();
  }

  private ManagedStream open(String id, String group) {
    StreamSpec.Builder spec = StreamSpec.builder(id, peer.url()).pingInterval(Duration.ZERO);
    if (group != null) {
      spec.group(group);
    }
    ManagedStream s = manager.open(spec.build());
    Await.until(id + " open", () -> s.state() == StreamState.OPEN);
    return s;
  }

  @Test
  void eachGroupHasItsOwnSeriesAndStats() throws Exception {
    open("btc", "binance");
    open("eth", "binance");
    open("sol", "bybit");
    open("plain", null);

    String text = MetricsExportTest.scrape(registry);
    assertThat(text)
        .contains("ws_manager_active_connections{group=\"binance\",manager=\"groups\"} 2.0")
        .contains("ws_manager_active_connections{group=\"bybit\",manager=\"groups\"} 1.0")
        .contains("ws_manager_active_connections{manager=\"groups\"} 1.0")
        .contains("ws_manager_stream_creations_total{group=\"binance\",manager=\"groups\"} 2.0")
        .contains(
            "ws_manager_heartbeats_total{group=\"bybit\",manager=\"groups\",result=\"success\"} 0.0")
        .contains("ws_manager_streams{group=\"binance\",manager=\"groups\",state=\"open\"} 2.0");

    ManagerStats all = manager.stats();
    assertThat(all.activeConnections()).isEqualTo(4);
    assertThat(all.activeConnectionsHwm()).isEqualTo(4);
    assertThat(all.streamCreations()).isEqualTo(4);
    Map<String, ManagerStats> byGroup = manager.groupStats();
    assertThat(byGroup).containsOnlyKeys("binance", "bybit");
    assertThat(byGroup.get("binance").activeConnections()).isEqualTo(2);
    assertThat(byGroup.get("bybit").activeConnections()).isEqualTo(1);
    assertThat(manager.stream("btc").orElseThrow().snapshot().group()).isEqualTo("binance");
    assertThat(manager.stream("plain").orElseThrow().snapshot().group()).isNull();

    manager.stream("btc").orElseThrow().close();
    Await.until("btc removed", () -> manager.stream("btc").isEmpty());
    assertThat(MetricsExportTest.scrape(registry))
        .contains("ws_manager_stream_cleanups_total{group=\"binance\",manager=\"groups\"} 1.0")
        .contains("ws_manager_active_connections{group=\"binance\",manager=\"groups\"} 1.0");
  }

  @Test
  void aGroupPastTheCapIsAClearErrorAndOpensNothing() {
    open("a", "one");
    open("b", "two");
    open("c", "one"); // an existing group is fine
    assertThatThrownBy(() -> open("d", "three"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "manager 'groups' already has 2 stream groups [one, two]; group 'three' would exceed"
                + " maxGroups(2). Reuse one of them or raise WsManager.Builder.maxGroups: each group"
                + " adds a set of series");
    assertThat(manager.stream("d")).isEmpty();
    assertThat(manager.stats().streamCreations()).isEqualTo(3);
  }

  @Test
  void groupNamesAndTheCapAreValidated() {
    assertThatThrownBy(() -> StreamSpec.builder("s", peer.url()).group("bad group").build())
        .hasMessage(
            "stream 's': group must be 1 to 64 letters, digits, '_', '.', ':' or '-', was 'bad group'");
    assertThatThrownBy(() -> WsManager.builder().maxGroups(0).build())
        .hasMessage("maxGroups must be within [1, 1000], was 0");
    assertThatThrownBy(() -> WsManager.builder().constantLabel("group", "x").build())
        .hasMessage("constant label name 'group' is reserved; choose another name");
  }
}
