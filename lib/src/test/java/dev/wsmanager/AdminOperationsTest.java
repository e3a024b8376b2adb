package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.CapturedLog;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.RecordingListener;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** reconnect, close and closeIdle against a real server on loopback, with time faked. */
class AdminOperationsTest {
  private final FakeTime time = new FakeTime();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsPeer peer = new WsPeer();
  private final RecordingListener listener = new RecordingListener();
  private final WsManager manager =
      WsManager.builder()
          .name("admin")
          .registry(registry)
          .clock(time)
          .scheduler(time)
          .random(() -> 0.0)
          .reconnectPolicy(
              ReconnectPolicy.builder().initialDelay(Duration.ofSeconds(10)).maxAttempts(1).build())
          .build();

  @AfterEach
  void tearDown() {
    manager.close(Duration.ofSeconds(2));
    peer.close();
  }

  private ManagedStream open(String id) {
    ManagedStream s =
        manager.open(
            StreamSpec.builder(id, peer.url())
                .listener(listener)
                .pingInterval(Duration.ZERO)
                .build());
    Await.until(id + " open", () -> s.state() == StreamState.OPEN);
    return s;
  }

  @Test
  void reconnectReplacesAnOpenConnectionWithoutCountingAFailure() throws Exception {
    ManagedStream s = open("a");
    assertThat(manager.reconnect("a")).isTrue();
    Await.until("reopened", () -> peer.upgrades.get() == 2 && s.state() == StreamState.OPEN);
    assertThat(peer.awaitCloseCode()).as("the old one closed cleanly").isEqualTo(1000);
    Await.until("old socket gone", () -> peer.open.size() == 1);
    ManagerStats stats = manager.stats();
    assertThat(stats.totalConnectionFailures()).isZero();
    assertThat(stats.retries()).isZero();
    assertThat(stats.connectionAttempts()).isEqualTo(2);
    assertThat(stats.adminOperations()).isEqualTo(1);
    Await.until(
        "callbacks delivered",
        () ->
            listener.events.contains("CONNECTING->OPEN")
                && listener.events.lastIndexOf("CONNECTING->OPEN")
                    > listener.events.indexOf("OPEN->CONNECTING")
                && listener.events.contains("OPEN->CONNECTING"));
    assertThat(MetricsExportTest.scrape(registry))
        .contains(
            "ws_manager_admin_operations_total{manager=\"admin\",operation=\"reconnect\"} 1.0");
  }

  @Test
  void reconnectSkipsTheBackoffAndRevivesAFailedStream() throws Exception {
    peer.enqueue(new MockResponse.Builder().code(500).build());
    peer.enqueue(new MockResponse.Builder().code(500).build());
    ManagedStream s =
        manager.open(
            StreamSpec.builder("f", peer.url())
                .listener(listener)
                .pingInterval(Duration.ZERO)
                .build());
    Await.until("failed", () -> s.state() == StreamState.FAILED); // maxAttempts(1)
    assertThat(manager.reconnect("f")).isTrue();
    Await.until("failed again", () -> s.state() == StreamState.FAILED && peer.requests.size() == 2);
    assertThat(manager.reconnect("f")).isTrue();
    Await.until("open", () -> s.state() == StreamState.OPEN);
    assertThat(s.snapshot().consecutiveFailures()).isZero();
    assertThat(manager.stats().adminOperations()).isEqualTo(2);
  }

  @Test
  void unknownAndClosedStreamsAreReportedAsSuch() {
    ManagedStream s = open("a");
    assertThat(manager.reconnect("nope")).isFalse();
    assertThat(manager.close("nope")).isFalse();
    assertThat(manager.close("a")).isTrue();
    Await.until("closed", () -> s.state() == StreamState.CLOSED);
    assertThat(manager.close("a")).isFalse();
    assertThat(manager.reconnect("a")).isFalse();
    assertThat(manager.stats().adminOperations()).isEqualTo(1);
    assertThat(MetricsExportTest.scrapeUnchecked(registry))
        .contains("ws_manager_admin_operations_total{manager=\"admin\",operation=\"close\"} 1.0");
  }

  @Test
  void closeIdleClosesOnlyStreamsThatReceivedNothingForThatLong() throws Exception {
    ManagedStream quiet = open("quiet");
    peer.awaitOpen(0); // so that the server's second socket is the busy stream's
    ManagedStream busy = open("busy");
    time.advance(Duration.ofMinutes(4));
    peer.awaitOpen(1).send("tick"); // the second server-side socket is "busy"'s
    // counted before the clock is read for it: wait for its time too, before the clock moves
    Await.until(
        "tick",
        () -> busy.snapshot().messagesReceived() == 1 && busy.snapshot().lastMessageAt() != null);
    time.advance(Duration.ofMinutes(2));

    try (CapturedLog log = new CapturedLog()) {
      assertThat(manager.closeIdle(Duration.ofMinutes(5))).containsExactly("quiet");
      assertThat(log.text())
          .contains(
              "WSManager admin: closed 1 streams idle for PT5M or longer in manager 'admin': [quiet]");
    }
    Await.until("quiet closed", () -> quiet.state() == StreamState.CLOSED);
    assertThat(busy.state()).isEqualTo(StreamState.OPEN);
    assertThat(manager.closeIdle(Duration.ofMinutes(5))).isEmpty();
    assertThat(manager.closeIdle(Duration.ofMinutes(1))).containsExactly("busy");
    assertThat(manager.stats().adminOperations()).isEqualTo(2);
    assertThatThrownBy(() -> manager.closeIdle(Duration.ZERO))
        .hasMessage("closeIdle needs a positive duration such as PT5M, was PT0S");
  }

  @Test
  void closeIdleCountsAStreamThatNeverReceivedFromItsCreation() {
    open("a");
    time.advance(Duration.ofSeconds(59));
    assertThat(manager.closeIdle(Duration.ofMinutes(1))).isEmpty();
    time.advance(Duration.ofSeconds(1));
    assertThat(manager.closeIdle(Duration.ofMinutes(1))).containsExactly("a");
  }
}
