package dev.wsmanager.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.WsManager;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Pins every meter the binder registers, by Micrometer name, type and tag keys. */
class MeterNamesTest {
  private static Set<String> meters(SimpleMeterRegistry registry) {
    Set<String> out = new TreeSet<>();
    for (Meter m : registry.getMeters()) {
      Set<String> keys = new TreeSet<>();
      m.getId().getTags().forEach(t -> keys.add(t.getKey()));
      out.add(m.getId().getName() + " " + m.getId().getType() + " " + keys);
    }
    return out;
  }

  private static void readAll(SimpleMeterRegistry registry) {
    registry.getMeters().forEach(m -> m.measure().forEach(x -> x.getValue()));
  }

  @Test
  void everyMeterNameTypeAndTagKey() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Peer peer = new Peer();
        WsManager manager =
            WsManager.builder().name("pin").registry(new PrometheusRegistry()).build()) {
      WsManagerMetrics metrics = new WsManagerMetrics(manager, Tags.of("app", "svc"));
      metrics.bindTo(registry);
      Activity.run(manager, peer);
      readAll(registry); // registers series whose label values appeared after binding

      // A contract: rules, dashboards and users' queries use these. Add a new metric here too.
      assertThat(meters(registry))
          .containsExactlyInAnyOrder(
              "ws.manager.active.connections GAUGE [app, manager]",
              "ws.manager.active.connections.hwm GAUGE [app, manager]",
              "ws.manager.admin.operations COUNTER [app, manager, operation]",
              "ws.manager.connect.duration TIMER [app, manager]",
              // Registries without native histograms publish a timer's buckets as gauges.
              "ws.manager.connect.duration.histogram GAUGE [app, le, manager]",
              "ws.manager.connection.attempts COUNTER [app, manager]",
              "ws.manager.connection.failures COUNTER [app, manager, reason]",
              "ws.manager.delivery.queue.depth GAUGE [app, manager]",
              "ws.manager.handshake.rejections COUNTER [app, manager, status]",
              "ws.manager.heartbeat.rtt TIMER [app, manager]",
              "ws.manager.heartbeat.rtt.histogram GAUGE [app, le, manager]",
              "ws.manager.heartbeats COUNTER [app, manager, result]",
              "ws.manager.listener.errors COUNTER [app, manager]",
              "ws.manager.message.delay TIMER [app, manager]",
              "ws.manager.message.delay.histogram GAUGE [app, le, manager]",
              "ws.manager.message.delay.negative COUNTER [app, manager]",
              "ws.manager.messages.dropped COUNTER [app, manager]",
              "ws.manager.messages.received COUNTER [app, manager]",
              "ws.manager.messages.sent COUNTER [app, manager]",
              "ws.manager.retry.count COUNTER [app, manager]",
              "ws.manager.sends.rejected COUNTER [app, manager, reason]",
              "ws.manager.server.directed.wait.seconds COUNTER [app, manager]",
              "ws.manager.server.directed.waits COUNTER [app, manager]",
              "ws.manager.stream.cleanups COUNTER [app, manager]",
              "ws.manager.stream.creations COUNTER [app, manager]",
              "ws.manager.streams GAUGE [app, manager, state]");

      Timer connect = registry.get("ws.manager.connect.duration").timer();
      assertThat(connect.count()).as("handshakes timed").isEqualTo(1);
      assertThat(registry.get("ws.manager.active.connections").gauge().value()).isEqualTo(1.0);
      assertThat(
              registry
                  .get("ws.manager.connection.failures")
                  .tag("reason", "handshake_rejected")
                  .functionCounter()
                  .count())
          .isEqualTo(1.0);
      assertThat(registry.get("ws.manager.messages.received").functionCounter().count())
          .isEqualTo(1.0);

      metrics.close();
      assertThat(registry.getMeters()).as("meters after close()").isEmpty();
    }
  }

  @Test
  void closingTheManagerRemovesTheMetersOnTheNextRead() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    WsManager manager = WsManager.builder().name("gone").registry(new PrometheusRegistry()).build();
    NativeSeriesTest.binder(manager).bindTo(registry);
    assertThat(registry.getMeters()).isNotEmpty();

    manager.close();
    readAll(registry);
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void meterNamesDropTheUnitThatMicrometerAddsBack() {
    assertThat(
            WsManagerMetrics.meterName(
                io.prometheus.metrics.model.snapshots.HistogramSnapshot.builder()
                    .name("ws_manager_connect_duration_seconds")
                    .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
                    .build()
                    .getMetadata()))
        .isEqualTo("ws.manager.connect.duration");
  }
}
