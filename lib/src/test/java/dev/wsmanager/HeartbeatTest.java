package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.RecordingListener;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Application heartbeats against a real server on loopback, with time faked. */
class HeartbeatTest {
  private final FakeTime time = new FakeTime();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsPeer peer = new WsPeer();
  private final RecordingListener listener = new RecordingListener();
  private final WsManager manager =
      WsManager.builder()
          .name("hb")
          .registry(registry)
          .clock(time)
          .scheduler(time)
          .random(() -> 0.0)
          .reconnectPolicy(ReconnectPolicy.builder().initialDelay(Duration.ofSeconds(1)).build())
          .build();

  private static final Heartbeat PING =
      Heartbeat.builder()
          .message("ping")
          .reply("pong"::equals)
          .interval(Duration.ofSeconds(10))
          .timeout(Duration.ofSeconds(5))
          .build();

  @AfterEach
  void tearDown() {
    manager.close(Duration.ofSeconds(2));
    peer.close();
  }

  private ManagedStream open(Heartbeat heartbeat) {
    StreamSpec.Builder spec =
        StreamSpec.builder("s1", peer.url()).listener(listener).pingInterval(Duration.ZERO);
    if (heartbeat != null) {
      spec.heartbeat(heartbeat);
    }
    ManagedStream stream = manager.open(spec.build());
    Await.until("open", () -> stream.state() == StreamState.OPEN);
    return stream;
  }

  @Test
  void anAnsweredHeartbeatIsTimedCountedAndKeptFromTheListener() throws Exception {
    ManagedStream stream = open(PING);
    assertThat(peer.received.poll(100, TimeUnit.MILLISECONDS))
        .as("nothing before an interval")
        .isNull();

    time.advance(Duration.ofSeconds(10));
    assertThat(peer.awaitReceived()).isEqualTo("ping");
    time.advance(Duration.ofMillis(30));
    peer.awaitOpen(0).send("pong");
    peer.broadcast("tick");
    Await.until("tick delivered", () -> listener.texts.contains("tick"));

    assertThat(listener.texts).as("the reply is not passed on").containsExactly("tick");
    ManagerStats stats = manager.stats();
    assertThat(stats.heartbeatSuccesses()).isEqualTo(1);
    assertThat(stats.heartbeatTimeouts()).isZero();
    assertThat(stream.snapshot().messagesReceived())
        .as("the reply is still a message")
        .isEqualTo(2);
    assertThat(stream.snapshot().messagesSent()).as("the heartbeat is a message sent").isEqualTo(1);
    String text = MetricsExportTest.scrape(registry);
    assertThat(text)
        .contains("ws_manager_heartbeats_total{manager=\"hb\",result=\"success\"} 1.0")
        .contains("ws_manager_heartbeats_total{manager=\"hb\",result=\"timeout\"} 0.0")
        .contains("ws_manager_heartbeat_rtt_seconds_bucket{manager=\"hb\",le=\"0.025\"} 0")
        .contains("ws_manager_heartbeat_rtt_seconds_bucket{manager=\"hb\",le=\"0.05\"} 1")
        .contains("ws_manager_heartbeat_rtt_seconds_sum{manager=\"hb\"} 0.03");

    time.advance(Duration.ofSeconds(9)); // past the answered heartbeat's deadline
    assertThat(stream.state()).isEqualTo(StreamState.OPEN);
    assertThat(manager.stats().heartbeatTimeouts()).isZero();
    time.advance(Duration.ofSeconds(1));
    assertThat(peer.awaitReceived()).as("the next heartbeat").isEqualTo("ping");
  }

  @Test
  void anUnansweredHeartbeatFailsTheConnectionWithItsOwnReasonAndTheStreamReconnects()
      throws Exception {
    ManagedStream stream = open(PING);
    time.advance(Duration.ofSeconds(10));
    assertThat(peer.awaitReceived()).isEqualTo("ping");
    time.advance(Duration.ofMillis(4_999));
    assertThat(stream.state()).as("within the timeout").isEqualTo(StreamState.OPEN);

    time.advance(Duration.ofMillis(1));
    assertThat(stream.state()).isEqualTo(StreamState.BACKING_OFF);
    Await.until("onFailure delivered", () -> !listener.causes.isEmpty());
    assertThat(listener.failures).containsExactly(FailureReason.HEARTBEAT_TIMEOUT);
    assertThat(listener.causes.get(0)).hasMessage("no heartbeat reply within PT5S");
    ManagerStats stats = manager.stats();
    assertThat(stats.heartbeatTimeouts()).isEqualTo(1);
    assertThat(stats.connectionFailures()).containsEntry(FailureReason.HEARTBEAT_TIMEOUT, 1L);
    assertThat(stream.snapshot().lastFailureReason()).isEqualTo(FailureReason.HEARTBEAT_TIMEOUT);
    assertThat(MetricsExportTest.scrape(registry))
        .contains("ws_manager_heartbeats_total{manager=\"hb\",result=\"timeout\"} 1.0")
        .contains(
            "ws_manager_connection_failures_total{manager=\"hb\",reason=\"heartbeat_timeout\"} 1.0");

    time.advance(Duration.ofSeconds(1));
    Await.until("reopened", () -> stream.state() == StreamState.OPEN);
    peer.awaitUpgrades(2);
    time.advance(Duration.ofSeconds(10));
    assertThat(peer.awaitReceived()).as("heartbeats on the new connection").isEqualTo("ping");
  }

  @Test
  void repliesReachTheListenerWhenAsked() throws Exception {
    Heartbeat passing =
        Heartbeat.builder()
            .message(() -> "{\"op\":\"ping\"}")
            .reply(t -> t.contains("\"pong\""))
            .interval(Duration.ofSeconds(10))
            .passRepliesToListener(true)
            .build();
    open(passing);
    time.advance(Duration.ofSeconds(10));
    assertThat(peer.awaitReceived()).isEqualTo("{\"op\":\"ping\"}");
    peer.awaitOpen(0).send("{\"op\":\"pong\"}");
    Await.until("reply delivered", () -> listener.texts.contains("{\"op\":\"pong\"}"));
    Await.until("counted", () -> manager.stats().heartbeatSuccesses() == 1);
  }

  @Test
  void aStreamWithoutHeartbeatSchedulesNothingAndExportsZeros() throws Exception {
    open(null);
    assertThat(time.pendingCount()).as("no heartbeat timer, no ping, no idle check").isZero();
    time.advance(Duration.ofMinutes(5));
    assertThat(peer.received.poll(100, TimeUnit.MILLISECONDS)).isNull();
    assertThat(MetricsExportTest.scrape(registry))
        .contains("ws_manager_heartbeats_total{manager=\"hb\",result=\"success\"} 0.0")
        .contains("ws_manager_heartbeat_rtt_seconds_count{manager=\"hb\"} 0");
  }

  @Test
  void aHeartbeatStopsWithItsConnection() {
    ManagedStream stream = open(PING);
    assertThat(time.pendingCount()).isEqualTo(1);
    stream.close();
    Await.until("closed", () -> stream.state() == StreamState.CLOSED);
    assertThat(time.pendingCount()).as("only the close timeout, if any").isLessThanOrEqualTo(1);
    time.advance(Duration.ofMinutes(1));
    assertThat(manager.stats().heartbeatTimeouts()).isZero();
    assertThat(time.pendingCount()).isZero();
  }

  @Test
  void theBuilderNamesWhatIsWrong() {
    assertThatThrownBy(
            () -> Heartbeat.builder().reply(t -> true).interval(Duration.ofSeconds(1)).build())
        .hasMessage("heartbeat message is missing: call message(\"ping\") or message(supplier)");
    assertThatThrownBy(
            () -> Heartbeat.builder().message("p").interval(Duration.ofSeconds(1)).build())
        .hasMessage(
            "heartbeat reply is missing: call reply(text -> ...) to recognise the server's answer");
    assertThatThrownBy(() -> Heartbeat.builder().message("p").reply(t -> true).build())
        .hasMessage("heartbeat interval must be positive, was null");
    assertThatThrownBy(
            () ->
                Heartbeat.builder()
                    .message("p")
                    .reply(t -> true)
                    .interval(Duration.ofSeconds(1))
                    .timeout(Duration.ofSeconds(2))
                    .build())
        .hasMessage("heartbeat timeout must be positive and at most the interval (PT1S), was PT2S");
    Heartbeat defaults =
        Heartbeat.builder().message("p").reply(t -> true).interval(Duration.ofSeconds(3)).build();
    assertThat(defaults.timeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(defaults.passRepliesToListener()).isFalse();
  }
}
